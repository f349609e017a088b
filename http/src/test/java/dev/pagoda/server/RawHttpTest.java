package dev.pagoda.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.ArrayList;
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

    /** The prompt as token ids, through /tokenize. */
    private static int[] tokenize(String text) throws Exception {
        JsonNode ids = JSON.readTree(post("/tokenize", "{\"prompt\": \"" + text + "\"}").body()).get("tokens");
        int[] out = new int[ids.size()];
        for (int i = 0; i < out.length; i++) out[i] = ids.get(i).asInt();
        return out;
    }

    @Test
    void promptLogprobsAreVllmShaped() throws Exception {
        int[] prompt = tokenize("Once upon a time there was a cat");
        String body = "{\"prompt\": \"Once upon a time there was a cat\", \"max_tokens\": 3, \"temperature\": 0, \"prompt_logprobs\": 2}";
        HttpResponse<String> r = post("/v1/completions", body);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode choice = JSON.readTree(r.body()).get("choices").get(0);
        assertTrue(choice.get("logprobs").isNull());
        JsonNode pl = choice.get("prompt_logprobs");
        assertEquals(prompt.length, pl.size());
        assertTrue(pl.get(0).isNull(), "the first prompt token has no logprob");
        for (int p = 1; p < prompt.length; p++) {
            JsonNode m = pl.get(p);
            JsonNode own = m.get(Integer.toString(prompt[p]));
            assertTrue(own != null, "position " + p + " lists its prompt token " + prompt[p] + ": " + m);
            assertTrue(own.get("logprob").asDouble() <= 0);
            assertTrue(own.get("rank").asInt() >= 1);
            assertTrue(own.get("decoded_token").isTextual());
            assertTrue(m.size() == 2 || m.size() == 3, m.toString()); // the top 2, plus the prompt token unless among them
            List<Integer> ranks = new ArrayList<>();
            m.fields().forEachRemaining(e -> ranks.add(e.getValue().get("rank").asInt()));
            assertTrue(ranks.contains(1) && ranks.contains(2), m.toString());
        }
        // Asked for once more with a shared prefix in the cache: the same values (the prefix is recomputed).
        JsonNode again = JSON.readTree(post("/v1/completions", body).body()).get("choices").get(0).get("prompt_logprobs");
        assertEquals(pl, again);
        // Chat: on the response (vLLM), same shape.
        JsonNode chat = JSON.readTree(post("/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 2, \"prompt_logprobs\": 1}").body());
        assertTrue(chat.get("prompt_logprobs").get(0).isNull());
        assertEquals(chat.get("usage").get("prompt_tokens").asInt(), chat.get("prompt_logprobs").size());
        // Without asking: no field.
        JsonNode plain = JSON.readTree(post("/v1/completions", "{\"prompt\": \"Once\", \"max_tokens\": 2}").body());
        assertFalse(plain.get("choices").get(0).has("prompt_logprobs"));
        assertEquals("prompt_logprobs", error(post("/v1/completions", "{\"prompt\": \"Once\", \"prompt_logprobs\": 30}"), 400).get("param").asText());
    }

    @Test
    void echoWithLogprobsListsThePromptTokensFirst() throws Exception {
        int[] prompt = tokenize("Once upon a time");
        String base = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 4, \"temperature\": 0, \"logprobs\": 2";
        JsonNode plain = JSON.readTree(post("/v1/completions", base + "}").body()).get("choices").get(0);
        HttpResponse<String> r = post("/v1/completions", base + ", \"echo\": true}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode choice = JSON.readTree(r.body()).get("choices").get(0);
        assertEquals("Once upon a time" + plain.get("text").asText(), choice.get("text").asText());
        JsonNode lp = choice.get("logprobs");
        int total = prompt.length + 4;
        assertEquals(total, lp.get("tokens").size());
        assertEquals(total, lp.get("token_logprobs").size());
        assertEquals(total, lp.get("top_logprobs").size());
        assertEquals(total, lp.get("text_offset").size());
        assertTrue(lp.get("token_logprobs").get(0).isNull());
        assertTrue(lp.get("top_logprobs").get(0).isNull());
        for (int i = 1; i < total; i++) {
            assertTrue(lp.get("token_logprobs").get(i).asDouble() <= 0);
            assertTrue(lp.get("text_offset").get(i).asInt() >= lp.get("text_offset").get(i - 1).asInt());
        }
        // The echoed tokens' logprobs are the prompt logprobs; the output's are those of the plain request.
        JsonNode pl = choice.get("prompt_logprobs");
        for (int p = 1; p < prompt.length; p++) {
            assertEquals(pl.get(p).get(Integer.toString(prompt[p])).get("logprob").asDouble(), lp.get("token_logprobs").get(p).asDouble());
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(plain.get("logprobs").get("token_logprobs").get(i), lp.get("token_logprobs").get(prompt.length + i));
            assertEquals(plain.get("logprobs").get("tokens").get(i), lp.get("tokens").get(prompt.length + i));
        }
        assertEquals("Once upon a time".length(), lp.get("text_offset").get(prompt.length).asInt());

        // Streamed: the first chunk carries the echo and the prompt's entries; together the same lists.
        String[] frames = post("/v1/completions", base + ", \"echo\": true, \"stream\": true}").body().split("\n\n");
        List<JsonNode> tokens = new ArrayList<>(), logprobs = new ArrayList<>(), offsets = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < frames.length - 1; i++) {
            JsonNode c = JSON.readTree(frames[i].substring(6)).get("choices").get(0);
            text.append(c.get("text").asText());
            if (c.get("logprobs").isNull()) continue;
            c.get("logprobs").get("tokens").forEach(tokens::add);
            c.get("logprobs").get("token_logprobs").forEach(logprobs::add);
            c.get("logprobs").get("text_offset").forEach(offsets::add);
        }
        assertEquals(choice.get("text").asText(), text.toString());
        assertEquals(JSON.valueToTree(tokens), lp.get("tokens"));
        assertEquals(JSON.valueToTree(logprobs), lp.get("token_logprobs"));
        assertEquals(JSON.valueToTree(offsets), lp.get("text_offset"));
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
        // The engine thread's own time: at least the 4 steps of that request, each with some forward time.
        assertTrue(TestServers.metric(m, "pagoda:engine_steps_total") >= 4, m);
        double forward = Double.NaN;
        for (String line : m.split("\n")) {
            if (line.startsWith("pagoda:engine_step_seconds_total{") && line.contains("phase=\"forward\"")) {
                forward = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        assertTrue(forward > 0, "pagoda:engine_step_seconds_total{phase=\"forward\"} in\n" + m);
        assertTrue(m.contains("phase=\"schedule\"") && m.contains("phase=\"update\""), m);
    }

}
