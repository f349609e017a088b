package dev.pagoda.server;

/**
 * A request's {@code stream} flag and {@code stream_options}, read and checked the same way for
 * completions and chat completions (OpenAI's rule: options only with {@code stream: true}).
 *
 * @param stream       answer with server-sent events
 * @param includeUsage end the stream with a usage chunk ({@code stream_options.include_usage})
 */
record StreamOptions(boolean stream, boolean includeUsage) {

    static StreamOptions parse(JsonBody body) {
        boolean stream = body.bool("stream", false);
        JsonBody options = body.object("stream_options");
        if (options != null && !stream) throw ApiError.badRequest("Stream options can only be defined when `stream=True`.", "stream_options");
        return new StreamOptions(stream, options != null && options.bool("include_usage", false));
    }
}
