package dev.pagoda.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Wire-level checks: SSE framing, error bodies, vLLM's extra routes, metrics, client disconnects. */
class RawHttpTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static PagodaServer server;
    private static HttpClient http;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.start();
        port = server.port();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    private static HttpResponse<String> post(String path, String json) throws Exception {
        return TestServers.post(http, port, path, json);
    }

    /** Asserts an OpenAI error object and returns its "error" member. */
    private static JsonNode error(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = JSON.readTree(r.body()).get("error");
        assertTrue(e.get("message").isTextual());
        assertTrue(e.get("type").isTextual());
        assertTrue(e.has("param"));
        assertTrue(e.get("code").isNull() || e.get("code").isTextual(), "code must be a string or null: " + e);
        return e;
    }

    @Test
    void sseFramingIsDataLinesThenDone() throws Exception {
        HttpResponse<String> r = post("/v1/completions",
                "{\"prompt\": \"Once upon a time\", \"max_tokens\": 6, \"temperature\": 0, \"stream\": true, \"stream_options\": {\"include_usage\": true}}");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        assertTrue(r.headers().firstValue("content-encoding").isEmpty());
        assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
        String[] frames = r.body().split("\n\n");
        StringBuilder text = new StringBuilder();
        JsonNode last = null;
        for (int i = 0; i < frames.length - 1; i++) {
            assertTrue(frames[i].startsWith("data: {"), frames[i]);
            assertFalse(frames[i].contains("\nevent:"));
            last = JSON.readTree(frames[i].substring(6));
            for (JsonNode c : last.get("choices")) text.append(c.get("text").asText());
        }
        assertEquals(0, last.get("choices").size()); // the usage-only chunk
        assertEquals(6, last.get("usage").get("completion_tokens").asInt());
        JsonNode whole = JSON.readTree(post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 6, \"temperature\": 0}").body());
        assertEquals(whole.get("choices").get(0).get("text").asText(), text.toString());
    }

    @Test
    void streamsEvenWhenTheClientAcceptsJson() throws Exception {
        var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 3, \"stream\": true}")).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertTrue(r.body().startsWith("data: {"), r.body());
        assertTrue(r.body().contains("\"role\":\"assistant\""));
        assertTrue(r.body().endsWith("data: [DONE]\n\n"));
    }

    @Test
    void chatStreamWithTwoChoices() throws Exception {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Tim\"}]}], "
                + "\"n\": 2, \"seed\": 3, \"max_completion_tokens\": 7, \"stream\": true}";
        HttpResponse<String> r = post("/v1/chat/completions", body);
        assertEquals(200, r.statusCode(), r.body());
        int[] roles = new int[2], finishes = new int[2];
        StringBuilder[] texts = {new StringBuilder(), new StringBuilder()};
        String[] frames = r.body().split("\n\n");
        for (int i = 0; i < frames.length - 1; i++) {
            JsonNode chunk = JSON.readTree(frames[i].substring(6));
            assertEquals("chat.completion.chunk", chunk.get("object").asText());
            for (JsonNode c : chunk.get("choices")) {
                int index = c.get("index").asInt();
                if (c.get("delta").has("role")) roles[index]++;
                if (c.get("delta").has("content")) texts[index].append(c.get("delta").get("content").asText());
                if (!c.get("finish_reason").isNull()) finishes[index]++;
            }
        }
        assertEquals("[1, 1]", java.util.Arrays.toString(roles));
        assertEquals("[1, 1]", java.util.Arrays.toString(finishes));
        JsonNode whole = JSON.readTree(post("/v1/chat/completions", body.replace(", \"stream\": true", "")).body());
        for (int i = 0; i < 2; i++) assertEquals(whole.get("choices").get(i).get("message").get("content").asText(), texts[i].toString());
    }

    @Test
    void promptShapesAndEcho() throws Exception {
        JsonNode ids = JSON.readTree(post("/tokenize", "{\"prompt\": \"Once upon a time\"}").body());
        assertEquals(ids.get("count").asInt(), ids.get("tokens").size());
        assertEquals(512, ids.get("max_model_len").asInt());
        String tokens = ids.get("tokens").toString();
        JsonNode byText = JSON.readTree(post("/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 5, \"temperature\": 0}").body());
        JsonNode byIds = JSON.readTree(post("/v1/completions", "{\"prompt\": " + tokens + ", \"max_tokens\": 5, \"temperature\": 0}").body());
        assertEquals(byText.get("choices").get(0).get("text"), byIds.get("choices").get(0).get("text"));
        JsonNode batch = JSON.readTree(post("/v1/completions", "{\"prompt\": [" + tokens + ", [1, 400]], \"max_tokens\": 3, \"temperature\": 0, \"n\": 1}").body());
        assertEquals(2, batch.get("choices").size());
        JsonNode strings = JSON.readTree(post("/v1/completions", "{\"prompt\": [\"A\", \"B\", \"C\"], \"max_tokens\": 2, \"temperature\": 0}").body());
        assertEquals(3, strings.get("choices").size());
        assertEquals(2, strings.get("choices").get(2).get("index").asInt());
        JsonNode echo = JSON.readTree(post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 5, \"temperature\": 0, \"echo\": true}").body());
        assertEquals("Once upon a time" + byText.get("choices").get(0).get("text").asText(), echo.get("choices").get(0).get("text").asText());
        JsonNode noBos = JSON.readTree(post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 1, \"add_special_tokens\": false}").body());
        assertEquals(ids.get("count").asInt() - 1, noBos.get("usage").get("prompt_tokens").asInt());
        JsonNode truncated = JSON.readTree(post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 1, \"truncate_prompt_tokens\": 2}").body());
        assertEquals(2, truncated.get("usage").get("prompt_tokens").asInt());
        JsonNode detok = JSON.readTree(post("/detokenize", "{\"tokens\": " + tokens + "}").body());
        assertEquals("<s> Once upon a time", detok.get("prompt").asText()); // special tokens kept, as vLLM (HF decode)
    }

    @Test
    void errorBodies() throws Exception {
        assertNull(error(post("/v1/completions", "{not json"), 400).get("param").textValue());
        assertEquals("max_tokens", error(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": \"ten\"}"), 400).get("param").asText());
        assertEquals("prompt", error(post("/v1/completions", "{\"prompt\": {\"a\": 1}}"), 400).get("param").asText());
        assertEquals("prompt", error(post("/v1/completions", "{\"prompt\": [1, 99999]}"), 400).get("param").asText());
        assertEquals("messages", error(post("/v1/chat/completions", "{\"messages\": \"hi\"}"), 400).get("param").asText());
        assertEquals("stream", error(post("/v1/completions", "{\"prompt\": \"x\", \"stream\": \"yes\"}"), 400).get("param").asText());
        assertEquals("n", error(post("/v1/completions", "{\"prompt\": \"x\", \"n\": 0}"), 400).get("param").asText());
        assertEquals("stream_options", error(post("/v1/completions", "{\"prompt\": \"x\", \"stream_options\": {\"include_usage\": true}}"), 400)
                .get("param").asText());
        assertEquals("response_format", error(post("/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"response_format\": {\"type\": \"json_object\"}}"), 400).get("param").asText());
        JsonNode tooLong = error(post("/v1/completions", "{\"prompt\": " + java.util.Collections.nCopies(600, 5) + "}"), 400);
        assertTrue(tooLong.get("message").asText().startsWith("This model's maximum context length is 512 tokens. However, your request has 600 input tokens."),
                tooLong.toString());
        assertEquals("model_not_found", error(post("/v1/completions", "{\"model\": \"gpt-4\", \"prompt\": \"x\"}"), 404).get("code").asText());
        error(TestServers.get(http, port, "/v1/nothing-here"), 404);
    }

    @Test
    void healthVersionAndMetrics() throws Exception {
        assertEquals(200, TestServers.get(http, port, "/health").statusCode());
        assertEquals("0.1.0", JSON.readTree(TestServers.get(http, port, "/version").body()).get("version").asText());
        post("/v1/completions", "{\"prompt\": \"Hello\", \"max_tokens\": 4}");
        String m = TestServers.get(http, port, "/metrics").body();
        for (String name : List.of("vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
                "vllm:prefix_cache_queries_total", "vllm:prefix_cache_hits_total", "vllm:prompt_tokens_total", "vllm:generation_tokens_total",
                "vllm:time_to_first_token_seconds_count", "vllm:inter_token_latency_seconds_count", "vllm:e2e_request_latency_seconds_count",
                "vllm:request_success_total")) {
            assertFalse(Double.isNaN(TestServers.metric(m, name)), name + " missing from\n" + m);
        }
        assertTrue(TestServers.metric(m, "vllm:generation_tokens_total") >= 4);
    }

}
