package dev.pagoda.server;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.engine.RequestOutput;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The server's overhead: the same workload through the offline API ({@link LlmEngine#generate})
 * and through HTTP (a load generator sending every request at once to a running server, JSON and
 * SSE), in output tokens per second. Not a unit test: run it by hand (docs/benchmarks-server.md).
 *
 * <p>Args: {@code REQUESTS MAX_TOKENS THREADS ROUNDS [MODEL_DIR [LOAD_FORMAT [STREAM_INTERVAL]]]}. Workload: REQUESTS
 * distinct prompts, greedy, {@code ignore_eos}, exactly MAX_TOKENS output tokens each; the model
 * defaults to stories260K ({@code dummy}: random weights of MODEL_DIR's config.json); STREAM_INTERVAL
 * is the server's {@code --stream-interval} (default 1).
 */
public final class ServerOverheadBenchmark {
    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int maxTokens = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Path dir = args.length > 4 ? Path.of(args[4]) : Fixtures.stories260k();
        LoadFormat format = LoadFormat.fromCli(args.length > 5 ? args[5] : "auto");
        int streamInterval = args.length > 6 ? Integer.parseInt(args[6]) : 1; // the server's --stream-interval
        EngineConfig config = EngineConfig.defaults().withMaxNumSeqs(Math.max(requests, 1));
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < requests; i++) prompts.add("Once upon a time there was a child number " + i);
        System.out.printf("workload: %d requests x %d tokens, greedy, ignore_eos; backend threads %d; rounds %d; server stream interval %d%n",
                requests, maxTokens, threads, rounds, streamInterval);

        // Both sides stay up and their rounds alternate, so that machine noise and JIT warm-up hit both alike.
        double[] offline = new double[rounds], json = new double[rounds], sse = new double[rounds];
        ServeOptions options = new ServeOptions(dir, List.of("m"), format, "cpu", threads, config.withStreamInterval(streamInterval), null, "auto");
        try (LoadedModel model = ModelLoader.load(dir, format);
                ComputeBackend backend = ComputeBackends.create("cpu", new BackendOptions(threads));
                PagodaServer server = PagodaServer.start(ServerConfig.loopback(0), options, new PrintStream(OutputStream.nullOutputStream()));
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            backend.loadModel(model.config(), model.weights());
            Tokenizer tokenizer = Tokenizer.fromDirectory(dir);
            LlmEngine engine = new LlmEngine(backend, model.config(), model.generationConfig(), tokenizer, config);
            SamplingParams params = SamplingParams.builder().temperature(0).ignoreEos(true).maxTokens(maxTokens).build();
            List<int[]> ids = prompts.stream().map(p -> tokenizer.encode(p, true)).toList();
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/completions");
            for (int r = -1; r < rounds; r++) { // round -1 warms up
                long c0 = cpuNanos();
                long t0 = System.nanoTime();
                List<RequestOutput> outs = engine.generate(ids, List.of(params));
                double secs = (System.nanoTime() - t0) / 1e9;
                long c1 = cpuNanos();
                long tokens = outs.stream().mapToLong(o -> o.outputs().getFirst().tokenIds().length).sum();
                double off = tokens / secs;
                double j = run(http, pool, uri, prompts, maxTokens, false);
                long c2 = cpuNanos();
                double e = run(http, pool, uri, prompts, maxTokens, true);
                long c3 = cpuNanos();
                if (r < 0) continue;
                // Process CPU time per 1,000 output tokens: less sensitive than wall time to other processes on the machine.
                System.out.printf("round %d CPU per 1k tokens: offline %.1f ms, HTTP JSON %.1f ms, HTTP SSE %.1f ms (HTTP includes the load generator)%n",
                        r, (c1 - c0) / 1e3 / tokens, (c2 - c1) / 1e3 / tokens, (c3 - c2) / 1e3 / tokens);
                offline[r] = off;
                json[r] = j;
                sse[r] = e;
                System.out.printf("round %d: offline %.0f tokens/s, HTTP JSON %.0f, HTTP SSE %.0f%n", r, off, j, e);
            }
        }
        double off = median(offline), j = median(json), s = median(sse);
        double[] jr = new double[rounds], sr = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            jr[r] = json[r] / offline[r];
            sr[r] = sse[r] / offline[r];
        }
        System.out.printf("median: offline %.0f tokens/s; HTTP JSON %.0f (%.1f%%); HTTP SSE %.0f (%.1f%%)%n", off, j, 100 * j / off, s, 100 * s / off);
        System.out.printf("median of per-round ratios (each HTTP round against the offline round just before it): JSON %.1f%%, SSE %.1f%%%n",
                100 * median(jr), 100 * median(sr));
    }

    /** Sends every request at once; returns output tokens per second from the first send to the last response. */
    private static double run(HttpClient http, ExecutorService pool, URI uri, List<String> prompts, int maxTokens, boolean stream) throws Exception {
        long t0 = System.nanoTime();
        List<Future<HttpResponse<String>>> futures = new ArrayList<>();
        for (String p : prompts) {
            String body = "{\"model\": \"m\", \"prompt\": \"" + p + "\", \"max_tokens\": " + maxTokens + ", \"temperature\": 0, \"ignore_eos\": true"
                    + (stream ? ", \"stream\": true" : "") + "}";
            futures.add(pool.submit(() -> http.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())));
        }
        int failed = 0;
        for (Future<HttpResponse<String>> f : futures) {
            HttpResponse<String> r;
            try {
                r = f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (failed++ == 0) System.out.println("DEBUG first failure at +" + (System.nanoTime() - t0) / 1e6 + " ms: " + e.getCause());
                continue;
            }
            if (r.statusCode() != 200 || (stream && !r.body().endsWith("data: [DONE]\n\n"))) throw new IllegalStateException(r.body());
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        if (failed > 0) System.out.println("DEBUG failed " + failed + " after " + secs + " s");
        return (double) prompts.size() * maxTokens / secs;
    }

    /** CPU time of the whole process (every thread, the load generator's too). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
