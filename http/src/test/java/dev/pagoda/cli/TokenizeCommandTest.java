package dev.pagoda.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagoda.engine.testing.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code ./pagoda tokenize} and {@code ./pagoda detokenize} on the bundled stories260K tokenizer. */
class TokenizeCommandTest {
    private static String run(Command command, String stdin, String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new CommandLine(command).parseArgs(args); // fills the command's @Option fields
        int rc = command.run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        assertEquals(0, rc);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void tokenizeAndDetokenizeLineByLine() throws Exception {
        String dir = Fixtures.stories260k().toString();
        assertEquals("[1,403,407,261,378]\n[1]\n", run(new TokenizeCommand(), "\"Once upon a time\"\n\"\"\n", "--tokenizer", dir, "--add-special-tokens"));
        assertEquals("[403,407,261,378]\n", run(new TokenizeCommand(), "\"Once upon a time\"\n", "--tokenizer", dir));
        assertEquals("\"Once upon a time\"\n\"中\"\n",
                run(new DetokenizeCommand(), "[1, 403, 407, 261, 378]\n[1, 410, 231, 187, 176]\n", "--tokenizer", dir, "--skip-special-tokens"));
        assertEquals("\"<s> 中\"\n", run(new DetokenizeCommand(), "[1, 410, 231, 187, 176]\n", "--tokenizer", dir));
    }

    @Test
    void badLinesAreErrorsNamingTheLine() {
        String dir = Fixtures.stories260k().toString();
        CliException e = assertThrows(CliException.class, () -> run(new TokenizeCommand(), "\"ok\"\n[1]\n", "--tokenizer", dir));
        assertEquals("stdin line 2: expected a JSON string", e.getMessage());
        e = assertThrows(CliException.class, () -> run(new DetokenizeCommand(), "[1, 99999]\n", "--tokenizer", dir));
        assertEquals("stdin line 1: element 1 is not a token id in [0, 512)", e.getMessage());
    }
}
