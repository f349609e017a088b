package dev.pagoda.bench;

import dev.pagoda.cli.CliException;
import dev.pagoda.cli.Command;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench serve} (vLLM's {@code bench serve}): load against a running OpenAI-compatible server at
 * {@code --base-url}: the dataset's requests sent all at once ({@code --request-rate inf}) or at gamma
 * inter-arrival times ({@link ArrivalSchedule}, {@code --burstiness}), at most
 * {@code --max-concurrency} in flight, each a streamed completion timed by {@link OpenAiStreamClient}.
 * {@code --sweep-request-rate 1,2,4} runs once per rate and {@code --plot} draws latency against it.
 * {@code --num-warmups} requests go first, uncounted; the server's engine counters read around each
 * measured run ({@link ServerEngineMetrics}) say what its engine thread did in exactly that run.
 */
@CommandLine.Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = "HTTP load against a running server (--base-url), at a request rate and concurrency")
public final class ServeBench implements Command {
    @Option(names = "--base-url", paramLabel = "URL", description = "the server (default: ${DEFAULT-VALUE})")
    String baseUrl = "http://127.0.0.1:8000";

    @Option(names = "--model", paramLabel = "NAME", description = "the served model name (default: the first of GET /v1/models)")
    String model;

    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "the model's tokenizer directory: --dataset sotu tokenizes with it, random draws ids below its vocabulary (default: the bundled stories260K)")
    Path tokenizer;

    @Option(names = "--api-key", paramLabel = "KEY", description = "bearer token (default: $OPENAI_API_KEY, else none)")
    String apiKey;

    @Option(names = "--request-rate", paramLabel = "RPS", description = "requests per second, or inf: all at once (default: ${DEFAULT-VALUE})")
    String requestRate = "inf";

    @Option(names = "--burstiness", paramLabel = "B", description = "gamma shape of the inter-arrival times; 1 is Poisson (default: ${DEFAULT-VALUE})")
    double burstiness = 1.0;

    @Option(names = "--max-concurrency", paramLabel = "N", description = "requests in flight at most (default: no limit)")
    int maxConcurrency;

    @Option(names = "--sweep-request-rate", paramLabel = "LIST", description = "run once per rate, e.g. 1,2,4,8")
    String sweepRequestRate;

    @Option(names = "--num-warmups", paramLabel = "N",
            description = "requests sent all at once before the measured run, not counted: they warm this client and the server (default: ${DEFAULT-VALUE})")
    int numWarmups;

    @Mixin
    DatasetFlags data;

    @Mixin
    ReportFlags report;

    @Override
    public int run(InputStream in, PrintStream out, PrintStream err) throws Exception {
        List<String> selected = report.selectedMetrics();
        List<Double> percentiles = report.percentiles();
        GoodputSlo slo = report.goodputSlo();
        if (maxConcurrency < 0) throw new CliException("--max-concurrency must be positive");
        if (data.numPrompts < 1) throw new CliException("--num-prompts must be at least 1");
        if (numWarmups < 0) throw new CliException("--num-warmups must not be negative");
        double[] rates = sweepRequestRate == null ? new double[] {rate(requestRate)} : ReportFlags.sweep("--sweep-request-rate", sweepRequestRate, 0);
        if (report.plot != null && sweepRequestRate == null) throw new CliException("--plot draws a sweep: give --sweep-request-rate");
        for (double r : rates) new ArrivalSchedule(r, burstiness, 0); // checks the values before any request is sent
        String key = apiKey != null ? apiKey : System.getenv("OPENAI_API_KEY");

        Tokenizer tok = Tokenizer.fromDirectory(tokenizerDir());
        List<BenchRequest> requests = data.sample(data.numPrompts, tok, tok.vocabSize(), data.seed);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        String modelName;
        try {
            modelName = model != null ? model : OpenAiStreamClient.firstModel(http, baseUrl, key);
        } catch (java.io.IOException e) {
            throw new CliException("cannot reach the server at --base-url " + baseUrl + ": " + e.getMessage());
        }
        OpenAiStreamClient client = new OpenAiStreamClient(http, baseUrl, modelName, key);
        // One request first, as vLLM does: a wrong URL, model or key fails here with the server's answer.
        RequestTrace probe = client.send(requests.getFirst(), System.nanoTime());
        if (!probe.success()) throw new CliException("the test request failed: " + probe.error());
        err.println("INFO [bench] test request ok; starting the benchmark against " + baseUrl + " (" + modelName + ")");
        if (numWarmups > 0) warmUp(client, tok, err);

        List<Map<String, Object>> results = new ArrayList<>();
        double[] ttft = new double[rates.length], tpot = new double[rates.length], e2el = new double[rates.length], tput = new double[rates.length];
        for (int i = 0; i < rates.length; i++) {
            ArrivalSchedule schedule = new ArrivalSchedule(rates[i], burstiness, data.seed);
            ServerEngineMetrics before = ServerEngineMetrics.scrape(http, baseUrl, key);
            ServeBenchmark.Run run = ServeBenchmark.run(client, requests, schedule, maxConcurrency);
            ServerEngineMetrics after = before == null ? null : ServerEngineMetrics.scrape(http, baseUrl, key);
            ServerEngineMetrics server = after == null ? null : after.since(before);
            BenchmarkMetrics m = BenchmarkMetrics.compute(run.traces(), run.durationSeconds(), percentiles, slo);
            ResultTable table = new ResultTable("Serving Benchmark Result");
            table.row("Model", modelName).row("Dataset", data.describe());
            table.row("Request rate configured (RPS)", rateLabel(rates[i]));
            if (maxConcurrency > 0) table.row("Maximum request concurrency", maxConcurrency);
            out.print(table.summary(m).metrics(m, selected));
            out.flush();
            for (RequestTrace t : run.traces()) {
                if (!t.success()) {
                    err.println("WARNING [bench] a request failed: " + t.error());
                    break;
                }
            }
            ttft[i] = m.metrics().get("ttft").median();
            tpot[i] = m.metrics().get("tpot").median();
            e2el[i] = m.metrics().get("e2el").median();
            tput[i] = m.outputThroughput();
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("request_rate", Double.isInfinite(rates[i]) ? "inf" : rates[i]);
            j.put("burstiness", burstiness);
            j.put("max_concurrency", maxConcurrency > 0 ? (Object) (long) maxConcurrency : null);
            j.putAll(ResultJson.metrics(m, run.traces()));
            if (server != null) {
                err.println("INFO [bench] " + server.describe());
                j.putAll(server.json());
            }
            results.add(j);
        }
        if (report.resultJson != null) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("benchmark", "serve");
            json.put("date", java.time.Instant.now().toString());
            json.put("backend", "openai");
            json.put("base_url", baseUrl);
            json.put("model_id", modelName);
            json.put("dataset", data.dataset);
            json.put("num_prompts", (long) data.numPrompts);
            json.put("input_len", (long) data.inputLen);
            json.put("output_len", (long) data.outputLen);
            if (sweepRequestRate != null) {
                json.put("sweep_request_rate", ThroughputBench.toList(rates));
                json.put("results", results);
            } else {
                json.putAll(results.getFirst());
            }
            ResultJson.write(report.resultJson, json);
        }
        if (report.plot != null) {
            SweepPlot.write(report.plot, "Latency vs request rate (" + modelName + ")", "request rate (req/s)", "median latency (ms)", rates,
                    List.of(new SweepPlot.Series("TTFT", ttft), new SweepPlot.Series("TPOT", tpot), new SweepPlot.Series("E2EL", e2el)), false);
        }
        return 0;
    }

    /**
     * vLLM's {@code --num-warmups}, except that the warm-up prompts are other draws of the dataset
     * (seed + 1): vLLM repeats the test prompt, and a server with prefix caching then answers the
     * repeats from its cache instead of warming its prefill path.
     */
    private void warmUp(OpenAiStreamClient client, Tokenizer tok, PrintStream err) throws InterruptedException {
        List<BenchRequest> warmups = data.sample(numWarmups, tok, tok.vocabSize(), data.seed + 1);
        ServeBenchmark.Run run = ServeBenchmark.run(client, warmups, new ArrivalSchedule(Double.POSITIVE_INFINITY, 1.0, 0), maxConcurrency);
        for (RequestTrace t : run.traces()) if (!t.success()) throw new CliException("a warm-up request failed: " + t.error());
        err.printf(Locale.ROOT, "INFO [bench] %d warm-up requests in %.2f s%n", numWarmups, run.durationSeconds());
    }

    private Path tokenizerDir() {
        if (tokenizer != null) {
            if (!Files.isDirectory(tokenizer)) throw new CliException("--tokenizer " + tokenizer + " is not a directory");
            return tokenizer;
        }
        String home = System.getProperty("pagoda.home");
        Path p = (home != null ? Path.of(home) : Path.of("").toAbsolutePath()).resolve("models/stories260k");
        if (!Files.isDirectory(p)) throw new CliException("the default tokenizer (stories260K) is missing at " + p + "; pass --tokenizer DIR");
        return p;
    }

    static double rate(String s) {
        if (s.equalsIgnoreCase("inf")) return Double.POSITIVE_INFINITY;
        try {
            double r = Double.parseDouble(s);
            if (!(r > 0)) throw new CliException("--request-rate must be positive or inf, got " + s);
            return r;
        } catch (NumberFormatException e) {
            throw new CliException("--request-rate must be a number or inf, got '" + s + "'");
        }
    }

    static String rateLabel(double r) {
        return Double.isInfinite(r) ? "inf" : String.format(Locale.ROOT, "%.2f", r);
    }
}
