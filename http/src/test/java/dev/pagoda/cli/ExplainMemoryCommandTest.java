package dev.pagoda.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.GpuMemoryPlan;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.server.PagodaServer;
import dev.pagoda.server.ServeOptions;
import dev.pagoda.server.ServerConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./pagoda explain-memory}: the plan {@code serve} logs, without loading anything. */
class ExplainMemoryCommandTest {

    private record Result(int status, String out, String err) {
        /** The output line starting with {@code prefix}. */
        String line(String prefix) {
            return Arrays.stream(out.split("\n")).filter(l -> l.startsWith(prefix)).findFirst()
                    .orElseThrow(() -> new AssertionError("no line starting '" + prefix + "' in:\n" + out));
        }
    }

    private static Result run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = Main.run(argv, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The messages of serve's log ("INFO 11-22 12:00:00 [serve] message" → "message"). */
    private static List<String> serveLog(EngineConfig config) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        ServeOptions options = new ServeOptions(Fixtures.stories260k(), List.of("stories260k"), LoadFormat.fromCli("safetensors"), "cpu", 1,
                config, null, "auto");
        try (PagodaServer server = PagodaServer.start(ServerConfig.loopback(0), options,
                new PrintStream(log, true, StandardCharsets.UTF_8))) {
            return Arrays.stream(log.toString(StandardCharsets.UTF_8).split("\n")).map(l -> l.substring(l.indexOf("] ") + 2)).toList();
        }
    }

    @Test
    void cpuPlanIsWhatServeLogs() throws Exception {
        Result r = run("explain-memory", Fixtures.stories260k().toString(), "--max-model-len", "200", "--block-size", "8",
                "--kv-cache-memory", "300K", "--max-num-seqs", "4");
        assertEquals(0, r.status(), r.err());
        List<String> log = serveLog(EngineConfig.defaults().withMaxModelLen(200).withBlockSize(8).withKvCacheMemoryBytes(300 << 10)
                .withMaxNumSeqs(4));

        // 5 layers × K,V × 4 KV heads × 8 dims × 4 B = 1,280 B a token; 10,240 B a block of 8;
        // 300 KiB holds 30 blocks, and 4 sequences of 25 blocks could use 100: 30 blocks, 1.2 sequences.
        assertTrue(r.out().contains("KV cache per token: 5 layers × 2 (K and V) × 4 KV heads × 8 head dims × 4 B (fp32 on the CPU) = 1,280 B"), r.out());
        assertEquals("memory plan: KV cache: 30 blocks of 8 tokens (0.3 MiB), 240 tokens; 1.20 sequences of max_model_len 200 fit",
                r.line("memory plan:"));
        assertTrue(log.contains(r.line("memory plan:")), "serve logged:\n" + String.join("\n", log));
        assertTrue(log.contains(r.line("maximum concurrency")), "serve logged:\n" + String.join("\n", log));
        String weights = r.line("weights:").substring("weights: ".length());
        assertTrue(log.contains("loading weights: " + weights), weights + " vs serve:\n" + String.join("\n", log));
    }

    @Test
    void defaultsMatchServeDefaults() throws Exception {
        Result r = run("explain-memory", Fixtures.stories260k().toString());
        assertEquals(0, r.status(), r.err());
        List<String> log = serveLog(EngineConfig.defaults());
        assertTrue(log.contains(r.line("memory plan:")), r.out() + "\nserve logged:\n" + String.join("\n", log));
        assertTrue(log.contains(r.line("maximum concurrency")));
    }

    @Test
    void cudaPlanUsesServesFormulaWithEstimates() {
        Result r = run("explain-memory", Fixtures.stories260k().toString(), "--device", "cuda", "--gpu-memory-total", "16G", "--gpu-memory-utilization", "0.5",
                "--max-model-len", "512");
        assertEquals(0, r.status(), r.err());
        // 8 GiB allowed − 635 MiB context − weights (~0.5 MiB) − activations at 2048 tokens, in 10,240-byte blocks.
        long weights = dev.pagoda.backend.cuda.CudaMemoryEstimate.weightBytes(dev.pagoda.engine.model.ModelConfigParser.parse(
                Fixtures.stories260k().resolve("config.json")));
        long activations = dev.pagoda.backend.cuda.CudaMemoryEstimate.activationBytes(dev.pagoda.engine.model.ModelConfigParser.parse(
                Fixtures.stories260k().resolve("config.json")), 2048, 4);
        long expectedBlocks = ((8L << 30) - (635L << 20) - weights - activations) / 10_240;
        GpuMemoryPlan plan = new GpuMemoryPlan(16L << 30, 0.5, (635L << 20) + weights, activations, 2048, 10_240, (int) expectedBlocks);
        for (String line : plan.describe(16, 512).split("\n")) assertTrue(r.out().contains(line + "\n"), line + "\nnot in:\n" + r.out());
        assertTrue(r.out().contains("memory plan: KV cache: " + expectedBlocks + " blocks of 16 tokens"), r.out());
    }

    @Test
    void configOnlyDirectoryCountsWeightsFromShapes(@TempDir Path dir) throws Exception {
        Files.copy(Fixtures.stories260k().resolve("config.json"), dir.resolve("config.json"));
        Result r = run("explain-memory", dir.toString(), "--dtype", "bfloat16");
        assertEquals(0, r.status(), r.err());
        // stories260K has 260K parameters minus the tied lm_head: × 2 B = 0.5 MiB.
        assertTrue(r.line("weights:").endsWith("0.5 MiB of weights"), r.out());
        assertTrue(r.out().contains("no safetensors files"), r.out());
    }

    @Test
    void badInputIsAUsageError() {
        Result noConfig = run("explain-memory", "/nonexistent-model");
        assertEquals(2, noConfig.status());
        assertTrue(noConfig.err().contains("/nonexistent-model has no config.json"), noConfig.err());
        Result tooLong = run("explain-memory", Fixtures.stories260k().toString(), "--max-model-len", "4096");
        assertEquals(2, tooLong.status());
        assertTrue(tooLong.err().contains("max_model_len 4096 exceeds the model's max_position_embeddings 512"), tooLong.err());
        Result preset = run("explain-memory", Fixtures.stories260k().toString(), "--device", "cuda", "--gpu-memory-total", "h300");
        assertEquals(2, preset.status());
        assertTrue(preset.err().contains("--gpu-memory-total must be a size such as 80G or one of h100-80gb"), preset.err());
    }
}
