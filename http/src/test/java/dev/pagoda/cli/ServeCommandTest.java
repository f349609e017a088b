package dev.pagoda.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code ./pagoda serve}'s argument checks (the running server is tested in dev.pagoda.server). */
class ServeCommandTest {
    /** Runs {@code ./pagoda serve ARGS} expecting a usage error; returns stderr. */
    private static String usageError(String... args) {
        String[] argv = new String[args.length + 1];
        argv[0] = "serve";
        System.arraycopy(args, 0, argv, 1, args.length);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(argv, new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, rc, err.toString(StandardCharsets.UTF_8));
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void badArgumentsAreUsageErrors() {
        assertTrue(usageError("--prot", "8000").contains("unknown option --prot"));
        assertTrue(usageError("--dtype", "int3").contains("--dtype must be one of"));
        assertTrue(usageError("--device", "tpu").contains("--device must be cpu or cuda"));
        assertTrue(usageError("/no/such/model").contains("--model /no/such/model is not a directory nor a Hugging Face id"));
        assertTrue(usageError("--enable-prefix-caching", "--no-enable-prefix-caching").contains("contradict"));
        assertTrue(usageError("--kv-cache-memory", "lots").contains("--kv-cache-memory must be bytes"));
        assertTrue(usageError("--port", "70000").contains("--port must be in [0, 65535]"));
        assertTrue(usageError("--gpu-memory-utilization", "0.5").contains("--gpu-memory-utilization is for --device cuda"));
        assertTrue(usageError("--skip-conformance-check").contains("--skip-conformance-check is for --device cuda"));
        assertTrue(usageError("--device", "cuda", "--gpu-memory-utilization", "1.5").contains("must be in (0, 1]"));
    }

    @Test
    void badLimitsAreUsageErrors() {
        String model = dev.pagoda.engine.testing.Fixtures.stories260k().toString();
        assertTrue(usageError("--model", model, "--max-n", "0").contains("--max-n must be at least 1"));
        assertTrue(usageError("--model", model, "--max-logprobs", "-2").contains("--max-logprobs must be -1 (unlimited) or at least 0"));
        assertTrue(usageError("--model", model, "--max-request-body-bytes", "10").contains("--max-request-body-bytes must be at least 1024"));
        assertTrue(usageError("--model", model, "--shutdown-timeout", "-1").contains("--shutdown-timeout must be at least 0"));
        assertTrue(usageError("--model", model, "--stream-interval", "0").contains("stream_interval must be at least 1"));
    }

    @Test
    void kvCacheMemorySizes() {
        assertEquals(512L << 20, EngineOptions.bytes("512M", 0));
        assertEquals(4L << 30, EngineOptions.bytes("4GiB", 0));
        assertEquals(1000, EngineOptions.bytes("1000", 0));
        assertEquals(7, EngineOptions.bytes(null, 7));
    }
}
