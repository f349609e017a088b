package dev.pagoda.cli;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.json.JsonException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Chat with an OpenAI-compatible server (Pagoda's, or vLLM's): each turn is one
 * {@code POST /v1/chat/completions} with {@code "stream": true}, read as server-sent events, one
 * {@code data: {…"delta": {"content": "…"}}} frame per piece of text, until {@code data: [DONE]}.
 */
final class HttpChatClient implements ChatClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base; // http://host:port, without /v1
    private final String apiKey;
    private final String model;
    private final Map<String, Object> sampling;

    /**
     * @param url       the server, with or without {@code /v1}
     * @param model     the served model name; null = the first one {@code GET /v1/models} lists
     * @param apiKey    bearer token, or null
     */
    HttpChatClient(String url, String model, String apiKey, Map<String, Object> sampling) {
        String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        if (u.endsWith("/v1")) u = u.substring(0, u.length() - 3);
        if (!u.startsWith("http://") && !u.startsWith("https://")) throw new CliException("--url must start with http:// or https://, got '" + url + "'");
        this.base = u;
        this.apiKey = apiKey;
        this.sampling = Map.copyOf(sampling);
        this.model = model != null ? model : firstModel();
    }

    /** The first id of GET /v1/models; also proves the server is there before the first prompt. */
    private String firstModel() {
        HttpResponse<String> r;
        try {
            r = http.send(request("/v1/models").GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CliException("cannot reach " + base + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
        if (r.statusCode() != 200) throw new CliException(base + "/v1/models answered " + r.statusCode() + ": " + errorMessage(r.body()));
        try {
            Object data = Json.parseObject(r.body()).get("data");
            if (data instanceof List<?> l && !l.isEmpty() && l.getFirst() instanceof Map<?, ?> m && m.get("id") instanceof String id) return id;
        } catch (JsonException e) {
            // reported below
        }
        throw new CliException(base + "/v1/models lists no model; pass --served-model-name");
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(10));
        if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        return b;
    }

    @Override
    public String describe() {
        return model + " at " + base;
    }

    @Override
    public String reply(List<Map<String, Object>> messages, Consumer<String> onDelta) {
        Map<String, Object> body = new LinkedHashMap<>(sampling);
        body.put("model", model);
        body.put("messages", messages);
        body.put("stream", true);
        HttpResponse<Stream<String>> r;
        try {
            r = http.send(request("/v1/chat/completions").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Json.write(body))).build(), HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw new ChatException("cannot reach " + base + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChatException("interrupted");
        }
        try (Stream<String> lines = r.body()) {
            if (r.statusCode() != 200) {
                throw new ChatException("the server answered " + r.statusCode() + ": " + errorMessage(String.join("\n", lines.toList())));
            }
            StringBuilder reply = new StringBuilder();
            for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
                String line = it.next();
                if (!line.startsWith("data:")) continue; // blank separators, comments
                String data = line.substring(5).trim();
                if (data.equals("[DONE]")) break;
                Map<String, Object> frame = Json.parseObject(data);
                if (frame.get("error") != null) throw new ChatException("the server failed mid-stream: " + errorMessage(data));
                if (frame.get("choices") instanceof List<?> choices && !choices.isEmpty() && choices.getFirst() instanceof Map<?, ?> c
                        && c.get("delta") instanceof Map<?, ?> delta && delta.get("content") instanceof String text && !text.isEmpty()) {
                    reply.append(text);
                    onDelta.accept(text);
                }
            }
            return reply.toString();
        } catch (JsonException e) {
            throw new ChatException("the server sent a frame that is not JSON: " + e.getMessage());
        }
    }

    /** The message of an OpenAI error body, or the body itself. */
    private static String errorMessage(String body) {
        try {
            if (Json.parseObject(body).get("error") instanceof Map<?, ?> e && e.get("message") instanceof String m) return m;
        } catch (JsonException ignored) {
            // not JSON: show it as it is
        }
        return body.length() > 300 ? body.substring(0, 300) + "…" : body;
    }

    @Override
    public void close() {
        http.close();
    }
}
