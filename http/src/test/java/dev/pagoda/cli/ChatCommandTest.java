package dev.pagoda.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.server.PagodaServer;
import dev.pagoda.server.ServeOptions;
import dev.pagoda.server.ServerConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code ./pagoda chat} driven by scripted input, in-process and against a real server on loopback:
 * both give the same transcript, and that transcript is what {@code /v1/chat/completions} answers
 * for the same history.
 */
class ChatCommandTest {
    private static PagodaServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = PagodaServer.start(ServerConfig.loopback(0),
                ServeOptions.of(Fixtures.stories260k()).withServedModelNames(List.of("stories260k")).withNumThreads(1),
                new PrintStream(OutputStream.nullOutputStream()));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) server.close();
    }

    private record Result(int status, String out, String err) {
        /** The transcript after the two banner lines, one entry per "> " prompt. */
        List<String> turns() {
            String[] lines = out.split("\n", 3);
            return Arrays.stream(lines[2].split("(?m)^> ", -1)).skip(1).toList();
        }
    }

    private static Result chat(String input, String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        String[] args = new String[argv.length + 1];
        args[0] = "chat";
        System.arraycopy(argv, 0, args, 1, argv.length);
        int status = Main.run(args, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String url() {
        return "http://127.0.0.1:" + server.port() + "/v1";
    }

    /** One non-streaming chat completion of {@code messages}, greedy, 12 tokens. */
    private static String complete(List<Map<String, Object>> messages) throws Exception {
        String body = Json.write(Map.of("model", "stories260k", "messages", messages, "max_tokens", 12, "temperature", 0));
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            Map<?, ?> choice = (Map<?, ?>) ((List<?>) Json.parseObject(r.body()).get("choices")).getFirst();
            return (String) ((Map<?, ?>) choice.get("message")).get("content");
        }
    }

    private static final String SCRIPT = "Once upon a time\nThe cat\n/reset\nOnce upon a time\n/exit\nnever read\n";

    @Test
    void inProcessAndServerGiveTheTranscriptTheApiGives() throws Exception {
        Result local = chat(SCRIPT, Fixtures.stories260k().toString(), "--temperature", "0", "--max-tokens", "12", "--threads", "1");
        Result remote = chat(SCRIPT, "--url", url(), "--temperature", "0", "--max-tokens", "12");
        assertEquals(0, local.status(), local.err());
        assertEquals(0, remote.status(), remote.err());
        assertTrue(local.out().startsWith("pagoda chat: stories260k in this process (cpu"), local.out());
        assertTrue(remote.out().startsWith("pagoda chat: stories260k at http://127.0.0.1:"), remote.out());
        assertEquals(local.turns(), remote.turns());

        // Turn 1 alone; turn 2 with turn 1 as history; after /reset turn 1 again; /exit ends before "never read".
        String first = complete(List.of(Map.of("role", "user", "content", "Once upon a time")));
        String second = complete(List.of(Map.of("role", "user", "content", "Once upon a time"),
                Map.of("role", "assistant", "content", first), Map.of("role", "user", "content", "The cat")));
        assertEquals(List.of(first + "\n", second + "\n", "(history cleared)\n", first + "\n", ""), remote.turns());
        assertTrue(!first.isEmpty() && !first.equals(second), first + " / " + second);
    }

    @Test
    void systemPromptAndHistoryCommands() throws Exception {
        Result r = chat("/system You tell stories.\nLily\n/history\n/bogus\n", "--url", url(), "--temperature", "0", "--max-tokens", "12");
        assertEquals(0, r.status(), r.err());
        String reply = complete(List.of(Map.of("role", "system", "content", "You tell stories."), Map.of("role", "user", "content", "Lily")));
        List<String> turns = r.turns();
        assertEquals("(system prompt set; history cleared)\n", turns.get(0));
        assertEquals(reply + "\n", turns.get(1));
        assertEquals("system: You tell stories.\nuser: Lily\nassistant: " + reply + "\n", turns.get(2));
        assertTrue(turns.get(3).startsWith("(unknown command /bogus; /reset clears the history"), turns.get(3));
        assertEquals("\n", turns.get(4)); // end of input
    }

    @Test
    void aFailedTurnIsReportedAndTheChatGoesOn() {
        // A 600-token reply cannot fit stories260K's 512-token context: the server says so (400), the session continues.
        Result r = chat("Hello\n/history\n", "--url", url(), "--max-tokens", "600");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.turns().get(0).startsWith("(error: the server answered 400: "), r.out());
        assertEquals("(no history)\n", r.turns().get(1)); // the failed turn left none
    }

    @Test
    void unreachableServerIsAUsageError() {
        Result r = chat("", "--url", "http://127.0.0.1:1/v1");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("pagoda chat: cannot reach http://127.0.0.1:1"), r.err());
        Result both = chat("", Fixtures.stories260k().toString(), "--url", url());
        assertEquals(2, both.status());
        assertTrue(both.err().contains("give MODEL (in-process) or --url (a server), not both"), both.err());
    }
}
