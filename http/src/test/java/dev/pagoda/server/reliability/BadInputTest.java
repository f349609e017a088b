package dev.pagoda.server.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.CompletionCreateParams;
import dev.pagoda.server.PagodaServer;
import dev.pagoda.server.RequestLimits;
import dev.pagoda.server.ServerConfig;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input never hurts the server: every case of the table below is sent to a real server, must
 * get its 4xx with an OpenAI error object whose message says what to change (never a 5xx, never a
 * hang), and after each one the server must still be healthy and serve the next request normally.
 * The outcomes are written to {@code target/reliability/bad-inputs.md}, the table in
 * {@code docs/reliability.md}; {@link #theDocListsEveryCase} keeps the two in step.
 */
class BadInputTest {
    /** A smaller body limit than the default, so that "too large" costs the test little. */
    private static final long BODY_LIMIT = 64 << 10;

    private static PagodaServer server;
    private static HttpClient http;
    private static int port;

    /**
     * One bad request: where it goes, what it is, and the answer it must get.
     *
     * @param name   what is wrong (the row of the doc's table)
     * @param path   the route; null: {@code raw} holds the whole HTTP request
     * @param body   the body's bytes
     * @param status the status it must get
     * @param param  the error's {@code param}, or null for any
     * @param hint   text the message must contain (it says what to change)
     */
    record Case(String name, String method, String path, byte[] body, int status, String param, String hint) {
        static Case post(String name, String path, String json, int status, String param, String hint) {
            return new Case(name, "POST", path, json.getBytes(StandardCharsets.UTF_8), status, param, hint);
        }

        static Case raw(String name, byte[] request, int status, String hint) {
            return new Case(name, "RAW", null, request, status, null, hint);
        }
    }

    private static final String C = "/v1/completions";
    private static final String CHAT = "/v1/chat/completions";

    private static String chat(String rest) {
        return "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 2" + rest + "}";
    }

    private static String prompt(String rest) {
        return "{\"prompt\": \"Hi\", \"max_tokens\": 2" + rest + "}";
    }

    static List<Case> cases() {
        List<Case> t = new ArrayList<>();
        // The body as a whole.
        t.add(Case.post("malformed JSON", C, "{\"prompt\": \"Hi\",", 400, null, "not valid JSON"));
        t.add(Case.post("a JSON array instead of an object", C, "[1, 2]", 400, null, "must be a JSON object"));
        t.add(Case.post("an empty body", C, "", 400, null, "send a JSON object"));
        t.add(new Case("invalid UTF-8 inside a string", "POST", C, concat("{\"prompt\": \"Hi ".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF}, "\"}".getBytes(StandardCharsets.UTF_8)), 400, null, "UTF-8"));
        t.add(Case.post("JSON nested 20,000 deep", C, "{\"prompt\": " + "[".repeat(20_000) + "]".repeat(20_000) + "}", 400, null, "not valid JSON"));
        t.add(Case.post("NaN literal", C, prompt(", \"temperature\": NaN"), 400, null, "not valid JSON"));
        t.add(Case.post("Infinity literal", C, prompt(", \"top_p\": Infinity"), 400, null, "not valid JSON"));
        t.add(Case.post("a 2 MB string field beyond the 64 KiB body limit", C, "{\"prompt\": \"" + "a".repeat(2 << 20) + "\"}", 413, null,
                "--max-request-body-bytes"));
        // Missing, wrong-typed and unknown fields.
        t.add(Case.post("missing prompt", C, "{\"max_tokens\": 2}", 400, "prompt", "required"));
        t.add(Case.post("missing messages", CHAT, "{\"max_tokens\": 2}", 400, "messages", "required"));
        t.add(Case.post("prompt is an object", C, "{\"prompt\": {\"a\": 1}}", 400, "prompt", "must be a string"));
        t.add(Case.post("max_tokens is a string", C, prompt(", \"max_tokens\": \"ten\""), 400, "max_tokens", "must be an integer"));
        t.add(Case.post("temperature is a string", C, prompt(", \"temperature\": \"hot\""), 400, "temperature", "must be a number"));
        t.add(Case.post("stream is a string", C, prompt(", \"stream\": \"yes\""), 400, "stream", "must be a boolean"));
        t.add(Case.post("priority is a string", C, prompt(", \"priority\": \"high\""), 400, "priority", "must be an integer"));
        t.add(Case.post("stop is a number", C, prompt(", \"stop\": 5"), 400, "stop", "a string or a list of strings"));
        t.add(Case.post("logit_bias key is not a token id", C, prompt(", \"logit_bias\": {\"abc\": 1}"), 400, "logit_bias", "integer token IDs"));
        t.add(Case.post("message content is a number", CHAT, "{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", 400, "messages.content",
                "a string or a list of content parts"));
        t.add(Case.post("image content part for a text model", CHAT,
                "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", \"image_url\": {\"url\": \"x\"}}]}]}", 400, "messages",
                "Only text content parts"));
        t.add(Case.post("chat_template_kwargs is a list", CHAT, chat(", \"chat_template_kwargs\": [1]"), 400, "chat_template_kwargs", "must be an object"));
        t.add(Case.post("stream_options without stream", C, prompt(", \"stream_options\": {\"include_usage\": true}"), 400, "stream_options",
                "only be defined when `stream=True`"));
        t.add(Case.post("structured output (unsupported)", CHAT, chat(", \"response_format\": {\"type\": \"json_schema\"}"), 400, "response_format",
                "not supported"));
        t.add(Case.post("unknown field (ignored with a logged warning, like vLLM)", C, prompt(", \"frobnicate\": {\"x\": 1}"), 200, null, null));
        t.add(Case.post("unknown model", C, "{\"model\": \"gpt-9\", \"prompt\": \"Hi\"}", 404, "model", "does not exist"));
        // Empty things.
        t.add(Case.post("empty prompt string", C, "{\"prompt\": \"\"}", 400, "prompt", "cannot be an empty string"));
        t.add(Case.post("empty prompt list", C, "{\"prompt\": []}", 400, "prompt", "must be a string"));
        t.add(Case.post("empty token id list in a batch", C, "{\"prompt\": [[]]}", 400, "prompt", "non-empty token id lists"));
        t.add(Case.post("empty messages", CHAT, "{\"messages\": []}", 400, "messages", "non-empty list of messages"));
        t.add(Case.post("message without a role", CHAT, "{\"messages\": [{\"content\": \"Hi\"}]}", 400, "messages", "needs a string 'role'"));
        t.add(Case.post("unknown role", CHAT, "{\"messages\": [{\"role\": \"wizard\", \"content\": \"Hi\"}]}", 400, "messages", "use one of"));
        t.add(Case.post("empty stop string", C, prompt(", \"stop\": [\"\"]"), 400, "stop", "empty string"));
        // Token ids.
        t.add(Case.post("token id beyond the vocabulary", C, "{\"prompt\": [1, 99999]}", 400, "prompt", "out of vocabulary (size 512)"));
        t.add(Case.post("negative token id", C, "{\"prompt\": [1, -1]}", 400, "prompt", "out of vocabulary"));
        t.add(Case.post("token id beyond 32 bits", C, "{\"prompt\": [1, 99999999999]}", 400, "prompt", "token ids (integers)"));
        t.add(Case.post("/detokenize token beyond the vocabulary", "/detokenize", "{\"tokens\": [1, 4096]}", 400, "tokens", "out of vocabulary"));
        t.add(Case.post("logit_bias token beyond the vocabulary", C, prompt(", \"logit_bias\": {\"9999\": 5}"), 400, "logit_bias", "out-of-vocab"));
        t.add(Case.post("stop_token_ids beyond the vocabulary", C, prompt(", \"stop_token_ids\": [9999]"), 400, "stop_token_ids", "out-of-vocab"));
        // Counts and limits.
        t.add(Case.post("n = 0", C, prompt(", \"n\": 0"), 400, "n", "at least 1"));
        t.add(Case.post("n beyond --max-n", C, prompt(", \"n\": 1000, \"temperature\": 1"), 400, "n", "--max-n"));
        t.add(Case.post("max_tokens = 0", C, prompt(", \"max_tokens\": 0"), 400, "max_tokens", "at least 1"));
        t.add(Case.post("max_tokens negative", C, prompt(", \"max_tokens\": -5"), 400, "max_tokens", "at least 1"));
        t.add(Case.post("max_tokens beyond 32 bits", C, prompt(", \"max_tokens\": 4294967296"), 400, "max_tokens", "32-bit integer"));
        t.add(Case.post("max_tokens = 2^31-1 (overflow bait)", C, prompt(", \"max_tokens\": 2147483647"), 400, "max_tokens", "is too large"));
        t.add(Case.post("prompt + max_tokens beyond the context", C, "{\"prompt\": " + Collections.nCopies(500, 5) + ", \"max_tokens\": 100}", 400,
                "max_tokens", "maximum context length is 512"));
        t.add(Case.post("prompt alone beyond the context", C, "{\"prompt\": " + Collections.nCopies(600, 5) + "}", 400, "prompt",
                "reduce the length of the input"));
        t.add(Case.post("logprobs beyond --max-logprobs", C, prompt(", \"logprobs\": 21"), 400, "logprobs", "--max-logprobs"));
        t.add(Case.post("logprobs negative", C, prompt(", \"logprobs\": -5"), 400, "logprobs", "non-negative"));
        t.add(Case.post("top_logprobs beyond --max-logprobs", CHAT, chat(", \"logprobs\": true, \"top_logprobs\": 21"), 400, "top_logprobs",
                "--max-logprobs"));
        t.add(Case.post("top_logprobs without logprobs", CHAT, chat(", \"top_logprobs\": 2"), 400, "top_logprobs", "requires logprobs"));
        t.add(Case.post("prompt_logprobs beyond --max-logprobs", C, prompt(", \"prompt_logprobs\": 21"), 400, "prompt_logprobs", "--max-logprobs"));
        t.add(Case.post("prompt_logprobs = -1 (whole vocabulary)", C, prompt(", \"prompt_logprobs\": -1"), 400, "prompt_logprobs", "--max-logprobs"));
        t.add(Case.post("65 stop strings (beyond --max-stop-sequences)", C, prompt(", \"stop\": " + strings(65, "s")), 400, "stop", "--max-stop-sequences"));
        t.add(Case.post("a 2,000-char stop string", C, prompt(", \"stop\": [\"" + "x".repeat(2000) + "\"]"), 400, "stop", "--max-stop-sequence-chars"));
        t.add(Case.post("65 stop_token_ids", C, prompt(", \"stop_token_ids\": " + Collections.nCopies(65, 3)), 400, "stop_token_ids",
                "--max-stop-sequences"));
        t.add(Case.post("1,100 logit_bias entries (beyond --max-logit-bias-entries)", C, prompt(", \"logit_bias\": " + bias(1100)), 400, "logit_bias",
                "--max-logit-bias-entries"));
        t.add(Case.post("1,025 prompts (beyond --max-prompts-per-request)", C, "{\"prompt\": " + strings(1025, "p") + ", \"max_tokens\": 1}", 400,
                "prompt", "--max-prompts-per-request"));
        t.add(Case.post("truncate_prompt_tokens = 0", C, prompt(", \"truncate_prompt_tokens\": 0"), 400, "truncate_prompt_tokens", "at least 1"));
        // Numbers out of range.
        t.add(Case.post("temperature negative", C, prompt(", \"temperature\": -1"), 400, "temperature", "non-negative"));
        t.add(Case.post("temperature 1e999 (Infinity)", C, prompt(", \"temperature\": 1e999"), 400, "temperature", "finite"));
        t.add(Case.post("top_p 0", C, prompt(", \"top_p\": 0"), 400, "top_p", "(0, 1]"));
        t.add(Case.post("top_p -1e999 (-Infinity)", C, prompt(", \"top_p\": -1e999"), 400, "top_p", "(0, 1]"));
        t.add(Case.post("top_k -5", C, prompt(", \"top_k\": -5"), 400, "top_k", "at least 1"));
        t.add(Case.post("min_p 2", C, prompt(", \"min_p\": 2"), 400, "min_p", "[0, 1]"));
        t.add(Case.post("presence_penalty -1e999", C, prompt(", \"presence_penalty\": -1e999"), 400, "presence_penalty", "[-2, 2]"));
        t.add(Case.post("frequency_penalty 3", C, prompt(", \"frequency_penalty\": 3"), 400, "frequency_penalty", "[-2, 2]"));
        t.add(Case.post("repetition_penalty 0", C, prompt(", \"repetition_penalty\": 0"), 400, "repetition_penalty", "greater than zero"));
        t.add(Case.post("min_tokens above max_tokens", C, prompt(", \"min_tokens\": 5"), 400, "min_tokens", "less than or equal to max_tokens"));
        // Templates are data.
        t.add(Case.post("chat_template in the request without --trust-request-chat-template", CHAT, chat(", \"chat_template\": \"{{ 7 * 7 }}\""), 400,
                "chat_template", "--trust-request-chat-template"));
        // HTTP itself.
        t.add(Case.raw("headers of 20 KiB (beyond --max-request-header-bytes)", rawRequest("GET", "/v1/models", "X-Padding: " + "p".repeat(20 << 10), null),
                431, "--max-request-header-bytes"));
        t.add(Case.raw("Content-Length of 10 GB", rawRequest("POST", C, "Content-Length: 10000000000", null), 413, "--max-request-body-bytes"));
        t.add(Case.raw("chunked body beyond the body limit", chunked(C, (int) BODY_LIMIT + 4096), 413, "--max-request-body-bytes"));
        t.add(Case.raw("not HTTP at all", "HELLO THERE\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 400, "malformed"));
        t.add(Case.raw("a header line without a colon", rawRequest("GET", "/v1/models", "Broken header line", null), 400, "malformed"));
        t.add(Case.raw("unknown route", rawRequest("GET", "/v1/nothing-here", null, null), 404, "Not found"));
        t.add(Case.raw("GET on a POST route", rawRequest("GET", C, null, null), 405, "Method not allowed"));
        return t;
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    private static String strings(int n, String prefix) {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < n; i++) s.add("\"" + prefix + i + "\"");
        return s.toString();
    }

    private static String bias(int n) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ", ").append('"').append(i % 512).append(" ".repeat(i / 512)).append("\": 1"); // distinct keys, valid ids
        return sb.append('}').toString();
    }

    private static byte[] rawRequest(String method, String path, String extraHeader, byte[] body) {
        String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + (extraHeader == null ? "" : extraHeader + "\r\n")
                + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n") + "\r\n";
        return concat(head.getBytes(StandardCharsets.US_ASCII), body == null ? new byte[0] : body);
    }

    /** A chunked POST of {@code size} bytes of one JSON string: the server cannot know its length up front. */
    private static byte[] chunked(String path, int size) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        byte[] chunk = ("{\"prompt\": \"" + "a".repeat(size) + "\"}").getBytes(StandardCharsets.US_ASCII);
        for (int at = 0; at < chunk.length; at += 8192) {
            int n = Math.min(8192, chunk.length - at);
            out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(chunk, at, n);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    @BeforeAll
    static void start() throws Exception {
        server = LoopbackServer.start(ServerConfig.loopback(0).withLimits(RequestLimits.DEFAULT.withMaxRequestBodyBytes(BODY_LIMIT)));
        port = server.port();
        http = LoopbackServer.client();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    /** One row of the outcome table. */
    record Outcome(Case c, int status, String message) {}

    @Test
    void everyBadInputGetsA4xxAndTheServerCarriesOn() throws Exception {
        List<Outcome> outcomes = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (Case c : cases()) {
            int status;
            String body;
            if (c.path() == null) {
                LoopbackServer.RawResponse r = LoopbackServer.raw(port, c.body());
                status = r.status();
                body = r.body();
            } else {
                HttpResponse<String> r = LoopbackServer.send(http, port, c.method(), c.path(), c.body());
                status = r.statusCode();
                body = r.body();
            }
            String message = "";
            try {
                assertTrue(status < 500, "a 5xx");
                assertEquals(c.status(), status, "status");
                if (status >= 400) {
                    JsonNode e = LoopbackServer.JSON.readTree(body).get("error");
                    assertTrue(e != null && e.get("message").isTextual() && e.get("type").isTextual() && e.has("param")
                            && (e.get("code").isNull() || e.get("code").isTextual()), "an OpenAI error object");
                    message = e.get("message").asText();
                    if (c.param() != null) assertEquals(c.param(), e.get("param").asText(), "param");
                    if (c.hint() != null) assertTrue(message.contains(c.hint()), "the message should contain '" + c.hint() + "'");
                }
                LoopbackServer.assertServesNormally(http, port, c.name());
            } catch (AssertionError | Exception e) {
                failures.add(c.name() + ": " + e.getMessage() + " — got " + status + " " + abbreviate(body));
            }
            outcomes.add(new Outcome(c, status, message));
        }
        writeTable(outcomes);
        assertTrue(failures.isEmpty(), failures.size() + " of " + outcomes.size() + " cases failed:\n" + String.join("\n", failures));
        assertEquals(0, outcomes.stream().filter(o -> o.status() >= 500).count(), "no 5xx");
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    /** The markdown table docs/reliability.md carries (copied from target/reliability/bad-inputs.md after a run). */
    private static void writeTable(List<Outcome> outcomes) throws Exception {
        StringBuilder md = new StringBuilder("| bad input | route | status | message (abridged) |\n|---|---|---|---|\n");
        for (Outcome o : outcomes) {
            String route = o.c().path() == null ? new String(o.c().body(), 0, Math.min(40, o.c().body().length), StandardCharsets.US_ASCII).split("\r\n")[0].split(" HTTP")[0]
                    : o.c().method() + " " + o.c().path();
            String msg = o.message().length() > 140 ? o.message().substring(0, 140) + "…" : o.message();
            md.append("| ").append(o.c().name()).append(" | `").append(route).append("` | ").append(o.status()).append(" | ")
                    .append(msg.replace("|", "\\|").replace("\n", " ")).append(" |\n");
        }
        Path out = Path.of("target", "reliability", "bad-inputs.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md.toString());
    }

    /** The official SDK surfaces the limits' messages: a client sees which flag stopped it. */
    @Test
    void theSdkReadsTheLimitErrors() {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + port + "/v1").apiKey("unused").maxRetries(0).build();
        BadRequestException n = assertThrows(BadRequestException.class, () -> client.completions().create(CompletionCreateParams.builder()
                .model("stories260k").prompt("Hi").maxTokens(2).temperature(1.0).n(1000).build()));
        assertEquals("n", n.param().orElse(null));
        assertTrue(n.getMessage().contains("--max-n"), n.getMessage());
        BadRequestException stops = assertThrows(BadRequestException.class, () -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("stories260k").addUserMessage("Hi").maxCompletionTokens(2)
                        .stopOfStrings(Collections.nCopies(65, "x")).build()));
        assertTrue(stops.getMessage().contains("--max-stop-sequences"), stops.getMessage());
        BadRequestException template = assertThrows(BadRequestException.class, () -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("stories260k").addUserMessage("Hi").maxCompletionTokens(2)
                        .putAdditionalBodyProperty("chat_template", JsonValue.from("{{ 1 }}")).build()));
        assertEquals("chat_template", template.param().orElse(null));
        assertEquals(2, client.chat().completions().create(ChatCompletionCreateParams.builder().model("stories260k").addUserMessage("Hi")
                .maxCompletionTokens(2).putAdditionalBodyProperty("ignore_eos", JsonValue.from(true)).build()).usage().orElseThrow().completionTokens());
    }

    @Test
    void theDocListsEveryCase() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "reliability.md"));
        List<String> missing = cases().stream().map(Case::name).filter(n -> !doc.contains("| " + n + " |")).toList();
        assertTrue(missing.isEmpty(), "docs/reliability.md lacks these bad-input rows (copy target/reliability/bad-inputs.md): " + missing);
    }
}
