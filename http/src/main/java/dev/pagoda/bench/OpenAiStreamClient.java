package dev.pagoda.bench;

import dev.pagoda.engine.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One streamed {@code POST /v1/completions} per benchmark request, timed as vLLM's
 * {@code async_request_openai_completions}: the prompt as token ids, {@code max_tokens} = the
 * request's output length, greedy, {@code ignore_eos}, {@code stream_options.include_usage}. TTFT is
 * the first chunk with a choice; each later such chunk adds an inter-token gap; the output token count
 * is the server's {@code usage.completion_tokens}; the latency ends at the last chunk.
 */
public final class OpenAiStreamClient {
    private final HttpClient http;
    private final URI completions;
    private final String model;
    private final String apiKey;

    /** @param apiKey null: no Authorization header */
    public OpenAiStreamClient(HttpClient http, String baseUrl, String model, String apiKey) {
        this.http = http;
        this.completions = URI.create(stripSlash(baseUrl) + "/v1/completions");
        this.model = model;
        this.apiKey = apiKey;
    }

    static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** The first model {@code GET /v1/models} lists (what vLLM's bench uses when --model is not given). */
    public static String firstModel(HttpClient http, String baseUrl, String apiKey) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(stripSlash(baseUrl) + "/v1/models")).timeout(Duration.ofSeconds(30));
        if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException("GET /v1/models answered " + r.statusCode() + ": " + r.body());
        Object data = Json.parseObject(r.body()).get("data");
        if (!(data instanceof List<?> list) || list.isEmpty() || !(list.getFirst() instanceof Map<?, ?> first)) {
            throw new IOException("GET /v1/models lists no model: " + r.body());
        }
        return String.valueOf(first.get("id"));
    }

    /** The request body: token-id prompt, exact output length. */
    String body(BenchRequest r) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        List<Object> ids = new ArrayList<>(r.promptLen());
        for (int id : r.promptTokenIds()) ids.add((long) id);
        body.put("prompt", ids);
        body.put("max_tokens", (long) r.outputLen());
        body.put("temperature", 0.0);
        body.put("ignore_eos", true);
        body.put("stream", true);
        body.put("stream_options", Map.of("include_usage", true));
        return Json.write(body);
    }

    /**
     * Sends one request and reads its stream to the end; never throws for a failed request (the trace
     * says why). {@code benchStart} is {@link System#nanoTime()} at the benchmark's start.
     */
    public RequestTrace send(BenchRequest r, long benchStart) {
        HttpRequest.Builder b = HttpRequest.newBuilder(completions).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(r)));
        if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        long st = System.nanoTime();
        double startTime = (st - benchStart) / 1e9;
        try {
            HttpResponse<Stream<String>> response = http.send(b.build(), HttpResponse.BodyHandlers.ofLines());
            try (Stream<String> lines = response.body()) {
                if (response.statusCode() != 200) {
                    return RequestTrace.failed(r.promptLen(), "HTTP " + response.statusCode() + ": " + String.join("\n", lines.toList()), startTime);
                }
                return read(lines.iterator(), r, st, startTime);
            }
        } catch (IOException | RuntimeException e) {
            return RequestTrace.failed(r.promptLen(), e.getClass().getSimpleName() + ": " + e.getMessage(), startTime);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RequestTrace.failed(r.promptLen(), "interrupted", startTime);
        }
    }

    private static RequestTrace read(Iterator<String> lines, BenchRequest r, long st, double startTime) {
        long first = 0, last = 0;
        List<Double> itl = new ArrayList<>();
        int outputTokens = -1;
        while (lines.hasNext()) {
            String line = lines.next();
            if (!line.startsWith("data:")) continue;
            String data = line.substring(5).trim();
            if (data.equals("[DONE]")) break;
            long now = System.nanoTime();
            Map<String, Object> chunk = Json.parseObject(data);
            if (chunk.get("error") != null) return RequestTrace.failed(r.promptLen(), "stream error: " + data, startTime);
            if (chunk.get("choices") instanceof List<?> choices && !choices.isEmpty()) {
                if (first == 0) first = now;
                else itl.add((now - last) / 1e9);
                last = now;
            } else if (chunk.get("usage") instanceof Map<?, ?> usage && usage.get("completion_tokens") instanceof Number n) {
                outputTokens = n.intValue();
            }
        }
        if (first == 0) return RequestTrace.failed(r.promptLen(), "the stream ended before any token", startTime);
        if (outputTokens < 0) outputTokens = itl.size() + 1; // no usage chunk: one token per chunk
        double[] gaps = itl.stream().mapToDouble(Double::doubleValue).toArray();
        return RequestTrace.ok(r.promptLen(), outputTokens, (first - st) / 1e9, gaps, (last - st) / 1e9, startTime);
    }
}
