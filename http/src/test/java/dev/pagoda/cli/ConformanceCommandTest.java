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
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./pagoda conformance} on stories260K: on the CPU (CI) every case is bit-identical to the
 * simplest path and the HF golden is within 1e-5; on a GPU (tag gpu) CUDA passes against the CPU.
 */
class ConformanceCommandTest {
    private String home;

    private record Result(int status, String out, String err) {}

    private static Result run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = Main.run(argv, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @BeforeEach
    void repositoryHome() { // where ./pagoda points pagoda.home: the goldens are found under it
        home = System.getProperty("pagoda.home");
        System.setProperty("pagoda.home", Fixtures.repoRoot().toString());
    }

    @AfterEach
    void restoreHome() {
        if (home == null) System.clearProperty("pagoda.home");
        else System.setProperty("pagoda.home", home);
    }

    @Test
    void cpuPassesOnStories260kWithEveryCaseAndTheGolden(@TempDir Path tmp) throws IOException {
        Path reportFile = tmp.resolve("report.txt");
        Result r = run("conformance", "--device", "cpu", "--model", Fixtures.stories260k().toString(), "--report", reportFile.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        for (String expected : new String[] {"device: CPU", "driver: -", "dtype: float32", "tolerances:", "bit-identical",
                "blockSize 8: prefill", "blockSize 16: prefix-cache hit", "blockSize 32: decode", "chunked prefill", "mixed batch",
                "HF golden 'stories260k': one prefill", "HF golden 'stories260k': token by token", "result: PASS"}) {
            assertTrue(r.out().contains(expected), "missing '" + expected + "' in\n" + r.out());
        }
        assertTrue(!r.out().contains("FAIL"), r.out());
        assertEquals(r.out(), Files.readString(reportFile));
    }

    @Test
    void dummyWeightsHaveNoGoldenAndStillPass() {
        Result r = run("conformance", "--device", "cpu", "--load-format", "dummy", "--block-sizes", "16",
                "--model", Fixtures.stories260k().toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("(random weights)") && r.out().contains("no Hugging Face golden"), r.out());
        assertTrue(!r.out().contains("blockSize 8"), r.out());
    }

    @Test
    void badOptionsAreUsageErrors() {
        Result device = run("conformance", "--device", "tpu");
        assertEquals(2, device.status());
        assertTrue(device.err().contains("--device must be cpu, cuda or auto"), device.err());
        Result blocks = run("conformance", "--device", "cpu", "--block-sizes", "0");
        assertEquals(2, blocks.status());
        assertTrue(blocks.err().contains("--block-sizes"), blocks.err());
    }

    @Test
    @Tag("gpu")
    void cudaPassesOnStories260k() {
        Result r = run("conformance", "--device", "cuda", "--model", Fixtures.stories260k().toString());
        System.out.print(r.out());
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("bfloat16") && r.out().contains("schedule") && r.out().contains("result: PASS"), r.out());
    }
}
