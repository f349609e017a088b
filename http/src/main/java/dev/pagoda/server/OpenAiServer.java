package dev.pagoda.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.List;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import java.util.concurrent.TimeUnit;

/**
 * The OpenAI-compatible HTTP server (Javalin on Jetty 12, a virtual thread per request). Every API
 * route is served with and without the {@code /v1} prefix. It starts before the model is loaded so
 * that {@code /health} can say 503 while loading; {@link #ready} makes it serve.
 *
 * <pre>
 *   POST /v1/completions        CompletionsHandler       POST /tokenize     vLLM's
 *   POST /v1/chat/completions   ChatCompletionsHandler   POST /detokenize   vLLM's
 *   POST /v1/embeddings         EmbeddingsHandler        GET  /health       200 ready, 503 otherwise
 *   GET  /v1/models[/{id}]      InfoHandlers             GET  /version, /metrics
 * </pre>
 */
public final class OpenAiServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(OpenAiServer.class.getName());
    /** Routes that need no API key (vLLM checks only /v1/*; we check every API route). */
    private static final List<String> OPEN_PATHS = List.of("/health", "/version", "/metrics", "/ping");

    static {
        // Jetty and Javalin log through slf4j-simple; keep their start-up chatter out of the serve log.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
    }

    private final ServerContext server;
    private final Javalin app;

    public OpenAiServer(ServerConfig config) {
        ObjectMapper mapper = new ObjectMapper()
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        this.server = new ServerContext(mapper, config);
        CompletionsHandler completions = new CompletionsHandler(server);
        ChatCompletionsHandler chat = new ChatCompletionsHandler(server);
        EmbeddingsHandler embeddings = new EmbeddingsHandler(server);
        InfoHandlers info = new InfoHandlers(server);
        ApiKeyCheck keyCheck = config.apiKey() == null ? null : new ApiKeyCheck(config.apiKey());
        RequestLimits limits = config.limits();

        this.app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.concurrency.useVirtualThreads = true;
            c.http.compressionStrategy = CompressionStrategy.NONE; // SSE must reach the client chunk by chunk
            c.http.maxRequestSize = limits.maxRequestBodyBytes();
            c.http.prefer405over404 = true; // GET on a POST route says so, instead of "not found"
            c.jetty.modifyServer(jetty -> jetty.setErrorHandler(new JsonErrorHandler(mapper, limits.maxRequestHeaderBytes())));
            c.jetty.addConnector((jetty, httpConfig) -> {
                // Request line + headers past this are a 431 from Jetty's parser (JsonErrorHandler words it).
                httpConfig.setRequestHeaderSize(limits.maxRequestHeaderBytes());
                ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(httpConfig));
                connector.setHost(config.host());
                connector.setPort(config.port());
                // A burst of clients connecting at once must queue in the kernel, not be reset (the JDK's default backlog is 50).
                connector.setAcceptQueueSize(4096);
                return connector;
            });
            c.routes.before(ctx -> {
                if (keyCheck != null && !openPaths().contains(ctx.path()) && !keyCheck.accepts(ctx.header("Authorization"))) {
                    throw ApiError.unauthorized();
                }
            });
            both(c, "post", "/completions", completions::handle);
            both(c, "post", "/chat/completions", chat::handle);
            // Embeddings run the model and tokenize runs the tokenizer and template: CPU work, off the virtual threads.
            both(c, "post", "/embeddings", offload(embeddings::handle));
            both(c, "get", "/models", info::models);
            both(c, "get", "/models/{id}", info::model);
            both(c, "post", "/tokenize", offload(info::tokenize));
            both(c, "post", "/detokenize", offload(info::detokenize));
            c.routes.get("/health", info::health);
            c.routes.get("/ping", info::health);
            c.routes.get("/version", info::version);
            c.routes.get("/metrics", info::metrics);
            LivePages.register(c, new LiveEvents(server)); // GET / (live view), /chat, /live/events
            c.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e));
            c.routes.exception(Exception.class, (e, ctx) -> {
                LOG.log(System.Logger.Level.ERROR, "unexpected failure on " + ctx.method() + " " + ctx.path(), e);
                error(ctx, ApiError.internal("Internal server error: " + e));
            });
            c.routes.error(404, ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty() || ctx.result().startsWith("Endpoint")) {
                    error(ctx, new ApiError(404, "invalid_request_error", "Not found: " + ctx.method() + " " + ctx.path(), null, "not_found"));
                }
            });
            c.routes.error(405, ctx -> error(ctx, new ApiError(405, "invalid_request_error",
                    "Method not allowed: " + ctx.method() + " " + ctx.path(), null, "method_not_allowed")));
        });
    }

    /** The handler, run on the CPU pool ({@link ServerContext#prepare}) while the request's virtual thread waits. */
    private Handler offload(Handler h) {
        return ctx -> {
            server.readBody(ctx); // the network wait, on the request's virtual thread
            server.prepare(() -> {
                h.handle(ctx);
                return null;
            });
        };
    }

    private static void both(io.javalin.config.JavalinConfig c, String method, String path, Handler h) {
        for (String p : List.of("/v1" + path, path)) {
            if (method.equals("get")) c.routes.get(p, h);
            else c.routes.post(p, h);
        }
    }

    private void error(Context ctx, ApiError e) {
        // Overloaded, loading, shutting down: a client (or its SDK) may retry, and should wait a moment first.
        if (e.status() == 503 || e.status() == 429) ctx.header("Retry-After", "1");
        server.json(ctx, e.status(), e.body());
    }

    /**
     * Paths that answer without the API key, whatever key is set: load balancers, Prometheus, and the
     * live view's static pages (their event stream, /live/events, wants the key).
     */
    public static List<String> openPaths() {
        return java.util.stream.Stream.concat(OPEN_PATHS.stream(), LivePages.openPaths().stream()).toList();
    }

    /** Every route Javalin has registered, as {@code METHOD PATH}: what the API-key test walks. */
    public List<String> registeredRoutes() {
        return app.unsafe.internalRouter.allHttpHandlers().stream()
                .filter(e -> e.endpoint.method.isHttpMethod())
                .map(e -> e.endpoint.method.name() + " " + e.endpoint.path).toList();
    }

    /** Binds the port and starts answering (503 for the model's routes until {@link #ready}). */
    public OpenAiServer start() {
        app.start();
        return this;
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return app.port();
    }

    /** The model is loaded: serve it. */
    public void ready(ServingModel model) {
        server.ready(model, new ServerMetrics(model.name(), model.stats()::latest));
    }

    /** Details /health adds to its answer, e.g. {@code conformance_check: skipped ...}. */
    public void healthDetails(java.util.Map<String, String> details) {
        server.healthDetails(details);
    }

    public ServerMetrics metrics() {
        return server.metrics();
    }

    /** Generation requests currently being answered. */
    public int inFlight() {
        return server.inFlight();
    }

    /** Route table for the start-up log. */
    public static List<String> routes() {
        return List.of("POST /v1/completions", "POST /v1/chat/completions", "POST /v1/embeddings", "GET /v1/models",
                "GET /v1/models/{id}", "POST /tokenize", "POST /detokenize", "GET /health", "GET /version", "GET /metrics",
                "GET / (live view of the KV blocks and the scheduler)", "GET /chat", "GET /live/events",
                "(every /v1 route also without the /v1 prefix)");
    }

    /**
     * Graceful stop: new generation requests get 503, in-flight ones may finish for up to the
     * configured grace period, then the HTTP server stops. The caller closes the engine afterwards
     * (which aborts whatever is left).
     */
    @Override
    public void close() {
        server.stopping();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(server.config().shutdownGraceSeconds());
        while (server.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (server.inFlight() > 0) LOG.log(System.Logger.Level.WARNING, server.inFlight() + " requests still in flight after the grace period; stopping anyway");
        app.stop();
        server.close();
    }

    /** Requests whose parsing and tokenizing is queued or running (see ServerContext#prepare). */
    public int preparing() {
        return server.preparing();
    }
}
