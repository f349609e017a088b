package dev.pagoda.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.testing.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import dev.pagoda.engine.json.Json;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;

/** {@code ./pagoda generate} end to end on the bundled model, checked against llama2.c's output. */
class GenerateCommandTest {

    private record Result(int status, String out, String err) {}

    private static Result run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = Main.run(argv, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void greedyCompletionEqualsLlama2c() throws IOException {
        // llama2.c's text is the prompt followed by the 96 generated tokens; generate prints only the latter.
        String expected = expectedText().substring("Once upon a time".length());
        Result r = run("generate", "--prompt", "Once upon a time", "--max-tokens", "96",
                "--model", Fixtures.stories260k().toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(expected + "\n", r.out());
    }

    @Test
    void maxTokensBoundsTheOutput() throws IOException {
        Result r = run("generate", "--prompt", "Once upon a time", "--max-tokens", "3",
                "--model", Fixtures.stories260k().toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(", there was\n", r.out());
    }

    @Test
    void usageErrorsAreClear() {
        Result missing = run("generate");
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("missing required option --prompt"), missing.err());

        Result typo = run("generate", "--prompt", "x", "--max-token", "3");
        assertEquals(2, typo.status());
        assertTrue(typo.err().contains("unknown option --max-token"), typo.err());

        Result format = run("generate", "--prompt", "x", "--load-format", "gguf", "--model", Fixtures.stories260k().toString());
        assertEquals(2, format.status());
        assertTrue(format.err().contains("unknown load format 'gguf'"), format.err());
    }

    @Test
    void badModelDirectoryIsAnErrorNotACrash() {
        Result r = run("generate", "--prompt", "x", "--model", "/nonexistent/model");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("/nonexistent/model"), r.err());
    }

    @Test
    void promptsFileRunsEveryLineTogetherAndPrintsThemInOrder(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("prompts.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"prompt\": \"Once upon a time\", \"max_tokens\": 96}",
                "{\"prompt\": \"The dog\", \"max_tokens\": 5, \"temperature\": 0.8, \"seed\": 3, \"n\": 2}",
                "",
                "{\"prompt\": \"Lily\", \"max_tokens\": 30, \"stop\": [\".\"]}") + "\n");
        String model = Fixtures.stories260k().toString();
        // Tiny blocks, a tiny token budget and two sequences at a time: chunked prefill and queueing.
        Result r = run("generate", "--prompts-file", file.toString(), "--model", model,
                "--max-num-seqs", "2", "--max-num-batched-tokens", "5", "--block-size", "4", "--no-enable-prefix-caching");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r.out());

        Map<String, Object> first = Json.parseObject(lines.get(0));
        assertEquals(expectedText().substring("Once upon a time".length()), first.get("text"));
        assertEquals(96, ((List<?>) first.get("token_ids")).size());
        assertEquals("length", first.get("finish_reason"));

        Map<String, Object> second = Json.parseObject(lines.get(1));
        assertEquals(List.of("length", "length"), second.get("finish_reason"));
        assertEquals(2, ((List<?>) second.get("text")).size());

        Map<String, Object> third = Json.parseObject(lines.get(2));
        assertEquals("stop", third.get("finish_reason"));
        String text = (String) third.get("text");
        assertTrue(!text.contains(".") && !text.isEmpty(), text);
        // The same prompt alone, greedy, prints the same text up to the stop string.
        Result alone = run("generate", "--prompt", "Lily", "--max-tokens", "30", "--model", model);
        assertTrue(alone.out().startsWith(text + "."), alone.out());
    }

    @Test
    void badPromptsFileLinesNameTheLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "{\"prompt\": \"x\"}\n{\"prompt\": \"y\", \"temprature\": 1}\n");
        Result r = run("generate", "--prompts-file", file.toString(), "--model", Fixtures.stories260k().toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("line 2: unknown field \"temprature\""), r.err());
    }

    /** The "text:" section of expected-greedy.txt. */
    private static String expectedText() throws IOException {
        List<String> lines = Files.readAllLines(
                Fixtures.repo("conformance/src/test/resources/stories260k/expected-greedy.txt"), StandardCharsets.UTF_8);
        int start = lines.indexOf("text:") + 1;
        int end = lines.indexOf("=== end");
        return String.join("\n", lines.subList(start, end));
    }
}
