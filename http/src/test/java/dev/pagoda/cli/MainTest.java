package dev.pagoda.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.server.PagodaServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The dispatcher: usage, --help, --version, unknown commands and options, negatable flags. */
class MainTest {
    private record Result(int status, String out, String err) {}

    private static Result run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = Main.run(argv, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpListsEveryCommand() {
        for (String[] argv : new String[][] {{"help"}, {"--help"}}) {
            Result r = run(argv);
            assertEquals(0, r.status(), r.err());
            for (String name : new String[] {"generate", "tokenize", "detokenize", "render-chat", "serve", "test", "build"}) {
                assertTrue(r.out().contains("  " + name + " "), name + " missing from:\n" + r.out());
            }
        }
        Result none = run();
        assertEquals(2, none.status());
        assertTrue(none.out().contains("serve"), none.out());
    }

    @Test
    void commandHelpShowsItsOptionsAndDefaults() {
        for (String[] argv : new String[][] {{"serve", "--help"}, {"help", "serve"}}) {
            Result r = run(argv);
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains("--[no-]enable-prefix-caching"), r.out());
            assertTrue(r.out().contains("--port=PORT") && r.out().contains("8000)"), r.out()); // its default
            assertTrue(r.out().contains("[MODEL]"), r.out());
            assertFalse(r.out().contains("fetch-fixtures"), "the launcher's commands belong to the top-level help only");
        }
    }

    @Test
    void versionIsTheServersVersion() {
        for (String[] argv : new String[][] {{"--version"}, {"generate", "--version"}}) {
            Result r = run(argv);
            assertEquals(0, r.status(), r.err());
            assertEquals("pagoda " + PagodaServer.VERSION, r.out().strip());
        }
    }

    @Test
    void usageErrorsAreOneLineWithExitCode2() {
        Result unknownCommand = run("frobnicate");
        assertEquals(2, unknownCommand.status());
        assertEquals("pagoda: unknown command 'frobnicate' (see ./pagoda help)", unknownCommand.err().strip());

        Result typo = run("generate", "--max-token", "3");
        assertEquals(2, typo.status());
        assertEquals("pagoda generate: unknown option --max-token (did you mean --max-tokens?)", typo.err().strip());

        Result twice = run("tokenize", "--tokenizer", "a", "--tokenizer", "b");
        assertEquals(2, twice.status());
        assertEquals("pagoda tokenize: option --tokenizer given twice", twice.err().strip());

        Result notAnInt = run("generate", "--prompt", "x", "--max-tokens", "many");
        assertEquals(2, notAnInt.status());
        assertTrue(notAnInt.err().contains("--max-tokens") && notAnInt.err().contains("'many'"), notAnInt.err());
        assertEquals(1, notAnInt.err().strip().lines().count(), notAnInt.err());

        Result missing = run("tokenize");
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("--tokenizer"), missing.err());
    }

    @Test
    void prefixCachingIsOnUnlessNegated() {
        assertTrue(engineConfigOf().enablePrefixCaching());
        assertTrue(engineConfigOf("--enable-prefix-caching").enablePrefixCaching());
        assertFalse(engineConfigOf("--no-enable-prefix-caching").enablePrefixCaching());
    }

    @Test
    void engineFlagsReachTheEngineConfig() {
        var c = engineConfigOf("--block-size", "4", "--kv-cache-memory", "64M", "--max-num-seqs", "3",
                "--max-num-batched-tokens", "100", "--max-model-len", "128", "--seed", "9");
        assertEquals(4, c.blockSize());
        assertEquals(64L << 20, c.kvCacheMemoryBytes());
        assertEquals(3, c.maxNumSeqs());
        assertEquals(100, c.maxNumBatchedTokens());
        assertEquals(128, c.maxModelLen());
        assertEquals(9, c.seed());
    }

    private static dev.pagoda.engine.engine.EngineConfig engineConfigOf(String... args) {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        return serve.engine.toEngineConfig(serve.numGpuBlocksOverride);
    }
}
