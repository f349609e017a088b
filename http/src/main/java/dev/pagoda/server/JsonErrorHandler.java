package dev.pagoda.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own error responses (the ones it sends before a request reaches Javalin: headers larger
 * than {@code --max-request-header-bytes} → 431, an unparseable request line → 400, a body over the
 * connector's limit → 413) as OpenAI error objects instead of Jetty's HTML page, so that a client
 * SDK can read them like every other error.
 */
final class JsonErrorHandler extends ErrorHandler {
    private final ObjectMapper mapper;
    private final int maxHeaderBytes;

    JsonErrorHandler(ObjectMapper mapper, int maxHeaderBytes) {
        this.mapper = mapper;
        this.maxHeaderBytes = maxHeaderBytes;
    }

    ApiError error(int status, String reason) {
        String message = switch (status) {
            case 431 -> "The request headers are larger than this server accepts (" + maxHeaderBytes
                    + " bytes, --max-request-header-bytes). Send fewer or shorter headers.";
            case 413 -> "The request body is larger than this server accepts (--max-request-body-bytes). Send a smaller request.";
            case 400 -> "The HTTP request is malformed" + (reason == null ? "." : ": " + reason + ".");
            default -> (HttpStatus.getMessage(status) + (reason == null ? "" : ": " + reason));
        };
        String code = switch (status) {
            case 431 -> "request_header_fields_too_large";
            case 413 -> "request_too_large";
            default -> null;
        };
        return new ApiError(status, status >= 500 ? "server_error" : "invalid_request_error", message, null, code);
    }

    private byte[] bytes(int status, String reason) {
        try {
            return mapper.writeValueAsBytes(error(status, reason).body());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Jetty answers a request line it cannot read as HTTP/1.x ("HELLO THERE") with 505, as if it
     * were HTTP/0.9; that is the client's garbage, not our failure: 400.
     */
    private static int status(int code) {
        return code == HttpStatus.HTTP_VERSION_NOT_SUPPORTED_505 ? HttpStatus.BAD_REQUEST_400 : code;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause, Callback callback) {
        int status = status(code);
        if (status != code) response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(bytes(status, message)), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(bytes(status(status), reason));
    }
}
