package dev.pagoda.server;

/**
 * The HTTP side's settings.
 *
 * @param host                 address to bind ({@code 0.0.0.0} = every interface)
 * @param port                 0 = a free port (tests)
 * @param apiKey               required as {@code Authorization: Bearer KEY} on the API routes; null = open
 * @param maxQueuedRequests    generation requests in flight before new ones get a 503
 * @param shutdownGraceSeconds how long a shutdown waits for in-flight requests before aborting them
 * @param statsIntervalSeconds period of the stats log line while busy; 0 = never
 * @param limits               what one request may ask for ({@link RequestLimits})
 */
public record ServerConfig(String host, int port, String apiKey, int maxQueuedRequests, int shutdownGraceSeconds,
                           int statsIntervalSeconds, RequestLimits limits) {
    public ServerConfig {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        if (maxQueuedRequests < 1) throw new IllegalArgumentException("max queued requests must be at least 1, got " + maxQueuedRequests);
        if (shutdownGraceSeconds < 0) throw new IllegalArgumentException("--shutdown-timeout must be at least 0, got " + shutdownGraceSeconds);
        if (apiKey != null && apiKey.isEmpty()) apiKey = null;
        java.util.Objects.requireNonNull(limits, "limits");
    }

    /** With the default request limits. */
    public ServerConfig(String host, int port, String apiKey, int maxQueuedRequests, int shutdownGraceSeconds, int statsIntervalSeconds) {
        this(host, port, apiKey, maxQueuedRequests, shutdownGraceSeconds, statsIntervalSeconds, RequestLimits.DEFAULT);
    }

    public static ServerConfig loopback(int port) {
        return new ServerConfig("127.0.0.1", port, null, 4096, 30, 0);
    }

    public ServerConfig withApiKey(String key) {
        return new ServerConfig(host, port, key, maxQueuedRequests, shutdownGraceSeconds, statsIntervalSeconds, limits);
    }

    public ServerConfig withMaxQueuedRequests(int v) {
        return new ServerConfig(host, port, apiKey, v, shutdownGraceSeconds, statsIntervalSeconds, limits);
    }

    public ServerConfig withLimits(RequestLimits v) {
        return new ServerConfig(host, port, apiKey, maxQueuedRequests, shutdownGraceSeconds, statsIntervalSeconds, v);
    }

    public ServerConfig withShutdownGraceSeconds(int v) {
        return new ServerConfig(host, port, apiKey, maxQueuedRequests, v, statsIntervalSeconds, limits);
    }
}
