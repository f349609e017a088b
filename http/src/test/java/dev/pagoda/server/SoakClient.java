package dev.pagoda.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Sends one {@link SoakMix.Planned} request and says what became of it. A completed response is
 * checked for form: a JSON body whose every choice has a finish_reason, or an SSE stream whose
 * every {@code data:} line parses, whose every choice index gets a finish_reason, and which ends
 * with {@code data: [DONE]}. Anything unexpected is a {@link Outcome#FAILED} with the reason.
 */
final class SoakClient {
    enum Outcome { COMPLETED, REJECTED, ABORTED, FAILED }

    record Result(Outcome outcome, String detail) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final int port;

    SoakClient(HttpClient http, int port) {
        this.http = http;
        this.port = port;
    }

    Result send(SoakMix.Planned p) {
        try {
            if (!p.stream() && p.abortAfterChunks() > 0) return hangUpEarly(p);
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + p.path()))
                    .timeout(Duration.ofSeconds(300)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(p.body())).build();
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            int status = response.statusCode();
            if (status != 200) {
                String body;
                try (InputStream in = response.body()) {
                    body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                return refused(p, status, body);
            }
            if (p.kind() == SoakMix.Kind.BAD) return failed(p, "a bad request was accepted (200)");
            try (InputStream in = response.body()) {
                return p.stream() ? readStream(p, in) : checkJson(p, in.readAllBytes());
            }
        } catch (IOException | RuntimeException e) {
            return failed(p, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(p, "interrupted");
        }
    }

    /** 4xx for a bad request, 429/503 (overload) for any: rejected. Anything else failed. */
    private static Result refused(SoakMix.Planned p, int status, String body) {
        if (status == 429 || status == 503) return new Result(Outcome.REJECTED, "overload " + status);
        if (p.kind() == SoakMix.Kind.BAD && status >= 400 && status < 500) {
            try {
                if (JSON.readTree(body).path("error").path("message").isTextual()) return new Result(Outcome.REJECTED, "bad " + status);
            } catch (IOException e) {
                // falls through: a 4xx without an OpenAI error body is a failure too
            }
            return failed(p, status + " without an OpenAI error object: " + body);
        }
        return failed(p, "status " + status + ": " + body);
    }

    private Result checkJson(SoakMix.Planned p, byte[] body) throws IOException {
        JsonNode root = JSON.readTree(body);
        JsonNode choices = root.path("choices");
        if (!choices.isArray() || choices.isEmpty()) return failed(p, "no choices: " + root);
        for (JsonNode c : choices) {
            if (!c.path("finish_reason").isTextual()) return failed(p, "choice without finish_reason: " + c);
        }
        if (!root.path("usage").path("completion_tokens").isNumber()) return failed(p, "no usage: " + root);
        return new Result(Outcome.COMPLETED, "");
    }

    /** Reads SSE lines; abandons the stream after {@code abortAfterChunks} data lines when that is set. */
    private Result readStream(SoakMix.Planned p, InputStream in) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        Map<Integer, String> finishReasons = new HashMap<>();
        int chunks = 0;
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.isEmpty()) continue;
            if (!line.startsWith("data: ")) return failed(p, "not an SSE data line: " + line);
            String data = line.substring(6);
            if (data.equals("[DONE]")) {
                if (reader.readLine() == null || reader.readLine() != null) return failed(p, "[DONE] is not the last frame");
                int expected = p.body().contains("\"n\": 2") ? 2 : 1;
                if (finishReasons.size() != expected) return failed(p, "finish_reason for " + finishReasons.keySet() + ", expected " + expected + " choices");
                return new Result(Outcome.COMPLETED, "");
            }
            JsonNode chunk = JSON.readTree(data);
            if (chunk.has("error")) return failed(p, "error in stream: " + data);
            for (JsonNode c : chunk.path("choices")) {
                if (c.path("finish_reason").isTextual()) finishReasons.put(c.path("index").asInt(), c.path("finish_reason").textValue());
            }
            chunks++;
            if (p.abortAfterChunks() > 0 && chunks >= p.abortAfterChunks()) return new Result(Outcome.ABORTED, "after " + chunks);
        }
        return failed(p, "stream ended without [DONE] after " + chunks + " chunks");
    }

    /** A non-streaming client that gives up: raw socket, request sent, closed after a few milliseconds. */
    private Result hangUpEarly(SoakMix.Planned p) throws IOException, InterruptedException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            byte[] b = p.body().getBytes(StandardCharsets.UTF_8);
            out.write(("POST " + p.path() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(b);
            out.flush();
            Thread.sleep(p.abortAfterChunks());
        }
        return new Result(Outcome.ABORTED, "hung up");
    }

    private static Result failed(SoakMix.Planned p, String why) {
        return new Result(Outcome.FAILED, "request " + p.index() + " " + p.path() + " " + p.body() + ": " + why);
    }
}
