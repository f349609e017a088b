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
import java.util.List;
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

    /** The "text:" section of expected-greedy.txt. */
    private static String expectedText() throws IOException {
        List<String> lines = Files.readAllLines(
                Fixtures.repo("conformance/src/test/resources/stories260k/expected-greedy.txt"), StandardCharsets.UTF_8);
        int start = lines.indexOf("text:") + 1;
        int end = lines.indexOf("=== end");
        return String.join("\n", lines.subList(start, end));
    }
}
