package dev.pagoda.server.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pagoda.server.PagodaServer;
import dev.pagoda.server.RequestLimits;
import dev.pagoda.server.ServerConfig;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Templates are data: with {@code --trust-request-chat-template} a request's template is rendered,
 * but a runaway loop, an output bomb, unbounded recursion or nesting each end in a 400 (the
 * interpreter's step, output and depth budgets), Python-style escapes reach nothing, and the server
 * carries on. Stop strings are literal: one shaped like a catastrophic regex is just text.
 */
class TemplatesAndStopsTest {
    private static PagodaServer server;
    private static HttpClient http;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        server = LoopbackServer.start(ServerConfig.loopback(0).withLimits(RequestLimits.DEFAULT.withTrustRequestChatTemplate(true)));
        port = server.port();
        http = LoopbackServer.client();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    /** /tokenize with the template, then /detokenize: the rendered text, or the error response. */
    private static HttpResponse<String> tokenize(String template) throws Exception {
        String body = LoopbackServer.JSON.writeValueAsString(Map.of("messages", java.util.List.of(Map.of("role", "user", "content", "Hi")),
                "chat_template", template));
        return LoopbackServer.post(http, port, "/tokenize", body);
    }

    private static String render(String template) throws Exception {
        HttpResponse<String> r = tokenize(template);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode tokens = LoopbackServer.JSON.readTree(r.body()).get("tokens");
        HttpResponse<String> text = LoopbackServer.post(http, port, "/detokenize", "{\"tokens\": " + tokens + "}");
        return LoopbackServer.JSON.readTree(text.body()).get("prompt").asText();
    }

    private static void assertRefused(String template, String why) throws Exception {
        HttpResponse<String> r = tokenize(template);
        assertEquals(400, r.statusCode(), why + ": " + r.body());
        String message = LoopbackServer.JSON.readTree(r.body()).get("error").get("message").asText();
        assertTrue(message.contains("chat template") || message.contains("chat_template"), message);
        LoopbackServer.assertServesNormally(http, port, why);
    }

    @Test
    void aTrustedRequestTemplateIsRendered() throws Exception {
        assertEquals("Hi!", render("{% for m in messages %}{{ m.content }}!{% endfor %}").strip());
        HttpResponse<String> chat = LoopbackServer.post(http, port, "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 2, \"chat_template\": \"{{ bos_token }}{{ messages[0].content }}\"}");
        assertEquals(200, chat.statusCode(), chat.body());
    }

    @Test
    void runawayTemplatesAreBounded() throws Exception {
        assertRefused("{% for i in range(100000000) %}{% for j in range(100000000) %}x{% endfor %}{% endfor %}", "a 10^16-step loop");
        assertRefused("{{ 'x' * 2000000000 }}", "a 2 GB string");
        assertRefused("{% set s = namespace(v='xx') %}{% for i in range(64) %}{% set s.v = s.v + s.v %}{% endfor %}{{ s.v }}", "doubling 64 times");
        assertRefused("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "unbounded recursion");
        assertRefused("{{ " + "(".repeat(20_000) + "1" + ")".repeat(20_000) + " }}", "nesting 20,000 deep");
        assertRefused("{{ raise_exception('no') }}", "the template's own error");
        assertRefused("{% for %}", "a syntax error");
    }

    @Test
    void pythonEscapesReachNothing() throws Exception {
        for (String escape : new String[] {"{{ messages.__class__ }}", "{{ ''.__class__.__mro__ }}", "{{ self }}", "{{ cycler }}",
                "{{ lipsum }}", "{{ config }}", "{{ request }}", "{{ namespace.__init__.__globals__ }}", "{{ range.__self__ }}"}) {
            HttpResponse<String> r = tokenize(escape);
            assertTrue(r.statusCode() == 200 || r.statusCode() == 400, escape + ": " + r.body());
            if (r.statusCode() == 200) {
                String text = render(escape);
                assertFalse(text.contains("java") || text.contains("class") || text.contains("dev.pagoda") || text.contains("@"),
                        escape + " rendered " + text);
            }
        }
        LoopbackServer.assertServesNormally(http, port, "template escapes");
    }

    @Test
    void stopStringsAreLiteralText() throws Exception {
        // As a regex against "aaaa…" these would backtrack for ages; as literal text they never match.
        String evil = "(a+)+$";
        String body = "{\"prompt\": \"" + "a".repeat(300) + "\", \"max_tokens\": 40, \"temperature\": 0, \"ignore_eos\": true, \"stop\": [\""
                + evil.replace("\\", "\\\\") + "\", \"(a|aa)*b\", \"^(a*)*$\", \".*\"]}";
        HttpResponse<String> r = LoopbackServer.post(http, port, "/v1/completions", body);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode choice = LoopbackServer.JSON.readTree(r.body()).get("choices").get(0);
        assertEquals("length", choice.get("finish_reason").asText(), "no literal stop string occurs, so nothing stops early: " + choice);
        // …and a literal one that does occur stops it, with regex metacharacters taken as themselves.
        String text = choice.get("text").asText();
        String stop = text.substring(5, 8);
        String stopped = "{\"prompt\": \"" + "a".repeat(300) + "\", \"max_tokens\": 40, \"temperature\": 0, \"ignore_eos\": true, \"stop\": "
                + LoopbackServer.JSON.writeValueAsString(java.util.List.of(stop)) + "}";
        JsonNode c2 = LoopbackServer.JSON.readTree(LoopbackServer.post(http, port, "/v1/completions", stopped).body()).get("choices").get(0);
        assertEquals("stop", c2.get("finish_reason").asText(), c2.toString());
        assertEquals(text.substring(0, text.indexOf(stop)), c2.get("text").asText());
    }
}
