package dev.pagoda.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.backend.cpu.TestBatches.Step;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.model.RopeScaling;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole CPU backend: against the naive single-sequence forward pass, and the determinism
 * contract (a sequence's logits are bit-identical alone, in a batch, in chunks, token by token,
 * after a prefix-cache hit, and with any thread count).
 */
class CpuBackendTest {
    private static final int BLOCK_SIZE = 4;
    private static final int[] PROMPT_A = {5, 17, 3, 99, 42, 8, 8, 61, 0, 33, 70, 12, 100};
    private static final int[] PROMPT_B = {9, 1, 44, 2, 87, 15, 15, 30, 64};
    private static final int[] PROMPT_C = {77, 6, 23, 50, 11};

    static Stream<Arguments> families() {
        return Stream.of(
                Arguments.of("llama bf16 gqa2", RandomModels.tinyLlama()),
                Arguments.of("llama3-scaled f32 gqa4", RandomModels.config(64, 96, 2, 8, 2, 16, 101, false, false, false, DType.F32,
                        new RopeScaling.Llama3(8.0, 1.0, 4.0, 64))),
                Arguments.of("qwen2 f16 bias tied mha", RandomModels.config(64, 80, 2, 2, 2, 32, 101, true, false, true, DType.F16, new RopeScaling.None())),
                Arguments.of("qwen3 f32 qknorm qSize!=hidden", RandomModels.config(80, 96, 2, 4, 2, 64, 101, false, true, false, DType.F32, new RopeScaling.None())),
                // bf16 with ragged pair blocks: hidden 80 and intermediate 200 are not multiples of 32
                // (the gate/up region writes act de-interleaved piece by piece, tails included).
                Arguments.of("qwen3 bf16 qknorm ragged blocks", RandomModels.config(80, 200, 2, 4, 2, 32, 101, false, true, false, DType.BF16, new RopeScaling.None())));
    }

    private static CpuBackend backend(ModelConfig c, ModelWeights w, int numThreads, int numBlocks) {
        CpuBackend b = new CpuBackend(new BackendOptions(numThreads));
        b.loadModel(c, w);
        b.allocateKvCache(numBlocks, BLOCK_SIZE);
        return b;
    }

    /** Row {@code r} of {@code logits}. */
    private static float[] row(Logits logits, int r) {
        return logits.row(r);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void prefillMatchesTheNaiveForwardPass(String name, ModelConfig c) {
        try (Arena arena = Arena.ofShared()) {
            ModelWeights w = RandomModels.weights(c, arena, 42);
            float[] expected = NaiveForward.logits(c, w, PROMPT_A);
            try (CpuBackend b = backend(c, w, 2, 16)) {
                Logits logits = b.forward(TestBatches.batch(BLOCK_SIZE, List.of(new Step(PROMPT_A, new int[] {9, 3, 14, 0}, 0, PROMPT_A.length))));
                for (int t = 0; t < PROMPT_A.length; t++) {
                    float[] ref = java.util.Arrays.copyOfRange(expected, t * c.vocabSize(), (t + 1) * c.vocabSize());
                    double err = NaiveOps.relativeError(row(logits, t), ref);
                    assertTrue(err <= 1e-5, name + " position " + t + ": relative error " + err);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void logitsDoNotDependOnBatchChunkingOrThreads(String name, ModelConfig c) {
        int n = PROMPT_A.length;
        try (Arena arena = Arena.ofShared()) {
            ModelWeights w = RandomModels.weights(c, arena, 7);
            // Reference: A alone, one prefill, one thread.
            float[][] ref = new float[n][];
            try (CpuBackend b = backend(c, w, 1, 16)) {
                Logits l = b.forward(TestBatches.batch(BLOCK_SIZE, List.of(new Step(PROMPT_A, new int[] {0, 1, 2, 3}, 0, n))));
                for (int t = 0; t < n; t++) ref[t] = row(l, t);
            }
            // A in the middle of a batch with B and C, other blocks, three threads.
            try (CpuBackend b = backend(c, w, 3, 16)) {
                Logits l = b.forward(TestBatches.batch(BLOCK_SIZE, List.of(
                        new Step(PROMPT_B, new int[] {4, 11, 6}, 0, PROMPT_B.length),
                        new Step(PROMPT_A, new int[] {13, 2, 8, 5}, 0, n),
                        new Step(PROMPT_C, new int[] {0, 15}, 0, PROMPT_C.length))));
                for (int t = 0; t < n; t++) assertArrayEquals(ref[t], row(l, PROMPT_B.length + t), name + ": batched, position " + t);
            }
            // A in chunks of 5, 1, 4, 3 (chunked prefill), alongside B decoding token by token.
            try (CpuBackend b = backend(c, w, 2, 16)) {
                int[] tableA = {10, 3, 7, 12}, tableB = {1, 14, 5};
                b.forward(TestBatches.batch(BLOCK_SIZE, List.of(new Step(PROMPT_B, tableB, 0, 4))));
                int doneA = 0, doneB = 4;
                for (int chunk : new int[] {5, 1, 4, 3}) {
                    Logits l = b.forward(TestBatches.batch(BLOCK_SIZE, List.of(
                            new Step(PROMPT_B, tableB, doneB, 1), new Step(PROMPT_A, tableA, doneA, chunk))));
                    for (int i = 0; i < chunk; i++) assertArrayEquals(ref[doneA + i], row(l, 1 + i), name + ": chunked, position " + (doneA + i));
                    doneA += chunk;
                    doneB++;
                }
            }
            // A token by token (decode), alone, with 2 threads.
            try (CpuBackend b = backend(c, w, 2, 16)) {
                for (int t = 0; t < n; t++) {
                    Logits l = b.forward(TestBatches.batch(BLOCK_SIZE, List.of(new Step(PROMPT_A, new int[] {6, 9, 1, 15}, t, 1))));
                    assertArrayEquals(ref[t], row(l, 0), name + ": decode, position " + t);
                }
            }
        }
    }

    @Test
    void prefixCacheHitGivesTheSameLogitsAsComputingFromScratch() {
        ModelConfig c = RandomModels.tinyLlama();
        // B shares A's first two full blocks (8 tokens) and then diverges.
        int[] promptB = {5, 17, 3, 99, 42, 8, 8, 61, 90, 91, 92};
        try (Arena arena = Arena.ofShared(); CpuBackend b = backend(c, RandomModels.weights(c, arena, 3), 2, 16)) {
            Logits scratch = b.forward(TestBatches.batch(BLOCK_SIZE, List.of(new Step(promptB, new int[] {0, 1, 2}, 0, promptB.length))));
            b.forward(TestBatches.batch(BLOCK_SIZE, List.of(new Step(PROMPT_A, new int[] {4, 5, 6, 7}, 0, PROMPT_A.length))));
            // Hit: B reuses A's blocks 4 and 5 and computes only its last 3 tokens, into block 8.
            Logits hit = b.forward(TestBatches.batch(BLOCK_SIZE, List.of(new Step(promptB, new int[] {4, 5, 8}, 8, 3))));
            for (int i = 0; i < 3; i++) assertArrayEquals(row(scratch, 8 + i), row(hit, i), "position " + (8 + i));
        }
    }

    @Test
    void onlyTheRequestedRowsComeBack() {
        ModelConfig c = RandomModels.tinyLlama();
        try (Arena arena = Arena.ofShared(); CpuBackend b = backend(c, RandomModels.weights(c, arena, 3), 2, 16)) {
            ForwardBatch all = TestBatches.batch(BLOCK_SIZE, List.of(new Step(PROMPT_C, new int[] {0, 1}, 0, 5)));
            Logits full = b.forward(all);
            ForwardBatch last = new ForwardBatch(all.tokenIds(), all.positions(), all.queryStartLoc(), all.seqLens(),
                    all.blockTables(), all.slotMapping(), new int[] {4, 2});
            Logits two = b.forward(last);
            assertEquals(2, two.numRows());
            assertArrayEquals(row(full, 4), row(two, 0));
            assertArrayEquals(row(full, 2), row(two, 1));
        }
    }

    @Test
    void badBatchesAreRejectedWithTheFieldNamed() {
        ModelConfig c = RandomModels.tinyLlama();
        try (Arena arena = Arena.ofShared(); CpuBackend b = backend(c, RandomModels.weights(c, arena, 3), 1, 4)) {
            var slot = assertThrows(IllegalArgumentException.class, () -> b.forward(new ForwardBatch(
                    new int[] {1}, new int[] {0}, new int[] {0, 1}, new int[] {1}, new int[][] {{0}}, new int[] {16}, new int[] {0})));
            assertTrue(slot.getMessage().contains("slotMapping[0] = 16"), slot.getMessage());
            var token = assertThrows(IllegalArgumentException.class, () -> b.forward(new ForwardBatch(
                    new int[] {101}, new int[] {0}, new int[] {0, 1}, new int[] {1}, new int[][] {{0}}, new int[] {0}, new int[] {0})));
            assertTrue(token.getMessage().contains("tokenIds[0] = 101"), token.getMessage());
            var table = assertThrows(IllegalArgumentException.class, () -> b.forward(new ForwardBatch(
                    new int[] {1}, new int[] {5}, new int[] {0, 1}, new int[] {6}, new int[][] {{0}}, new int[] {1}, new int[] {0})));
            assertTrue(table.getMessage().contains("blockTables[0] has 1 blocks"), table.getMessage());
            var block = assertThrows(IllegalArgumentException.class, () -> b.forward(new ForwardBatch(
                    new int[] {1}, new int[] {0}, new int[] {0, 1}, new int[] {1}, new int[][] {{4}}, new int[] {1}, new int[] {0})));
            assertTrue(block.getMessage().contains("blockTables[0][0] = 4"), block.getMessage());
            var position = assertThrows(IllegalArgumentException.class, () -> b.forward(new ForwardBatch(
                    new int[] {1}, new int[] {3}, new int[] {0, 1}, new int[] {2}, new int[][] {{0}}, new int[] {1}, new int[] {0})));
            assertTrue(position.getMessage().contains("positions[0] = 3"), position.getMessage());
        }
    }

    @Test
    void foundByNameAndSizesItsCache() {
        ModelConfig c = RandomModels.tinyLlama();
        try (ComputeBackend b = ComputeBackends.create("cpu", BackendOptions.defaults()); Arena arena = Arena.ofShared()) {
            assertInstanceOf(CpuBackend.class, b);
            assertEquals("cpu", b.name());
            b.loadModel(c, RandomModels.weights(c, arena, 1));
            // layers * (K and V) * blockSize * numKvHeads * headDim * 4 bytes
            assertEquals(2L * 2 * 16 * 2 * 16 * 4, b.kvCacheBytesPerBlock(16));
        }
    }

    @Test
    void weightShapesAreCheckedAgainstTheConfig() {
        ModelConfig c = RandomModels.tinyLlama();
        ModelConfig wider = RandomModels.config(64, 128, 2, 4, 2, 16, 101, false, false, false, DType.BF16, new RopeScaling.None());
        try (Arena arena = Arena.ofShared(); CpuBackend b = new CpuBackend(new BackendOptions(1))) {
            var e = assertThrows(IllegalArgumentException.class, () -> b.loadModel(wider, RandomModels.weights(c, arena, 1)));
            assertTrue(e.getMessage().contains("gate_proj"), e.getMessage());
        }
    }
}
