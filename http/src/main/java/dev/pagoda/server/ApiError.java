package dev.pagoda.server;

/**
 * A request that cannot be served, as OpenAI reports it: an HTTP status and the body
 * {@code {"error": {"message", "type", "param", "code"}}}. {@code code} is a string or null, never a
 * number (openai-java rejects an integer there).
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiError(int status, String type, String message, String param, String code) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: the request is malformed or asks for something impossible. */
    public static ApiError badRequest(String message, String param) {
        return new ApiError(400, "invalid_request_error", message, param, null);
    }

    /** 401: the API key is missing or wrong. */
    public static ApiError unauthorized() {
        return new ApiError(401, "invalid_request_error", "Incorrect or missing API key. Send it as 'Authorization: Bearer KEY'.",
                null, "invalid_api_key");
    }

    /** 404: no model of that name is served here. */
    public static ApiError modelNotFound(String model) {
        return new ApiError(404, "invalid_request_error", "The model `" + model + "` does not exist.", "model", "model_not_found");
    }

    /** 413: the body is larger than {@code --max-request-body-bytes}. @param declared the Content-Length, or -1 when chunked */
    public static ApiError tooLarge(long declared, long max) {
        return new ApiError(413, "invalid_request_error", "The request body " + (declared >= 0 ? "(" + declared + " bytes) " : "")
                + "is larger than this server accepts (" + max + " bytes, --max-request-body-bytes). Send a smaller request.",
                null, "request_too_large");
    }

    /** 503: the server cannot take the request now (still loading, shutting down, engine dead, queue full). */
    public static ApiError unavailable(String message, String code) {
        return new ApiError(503, "server_error", message, null, code);
    }

    /** 500: our fault, not the request's. */
    public static ApiError internal(String message) {
        return new ApiError(500, "server_error", message, null, null);
    }

    public int status() { return status; }
    public String type() { return type; }
    public String param() { return param; }
    public String code() { return code; }

    /** The error object as a JSON-ready record. */
    public ErrorResponse body() {
        return new ErrorResponse(new ErrorResponse.Error(getMessage(), type, param, code));
    }

    /** {@code {"error": {...}}} */
    public record ErrorResponse(Error error) {
        public record Error(String message, String type, String param, String code) {}
    }
}
