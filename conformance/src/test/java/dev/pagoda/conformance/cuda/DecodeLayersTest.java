package dev.pagoda.conformance.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.backend.cuda.ConformanceBatches;
import dev.pagoda.backend.cuda.CudaBackend;
import dev.pagoda.backend.cuda.LogitComparison;
import dev.pagoda.backend.cuda.PersistentDecode;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.DummyWeights;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.model.RandomWeights;
import dev.pagoda.engine.model.RopeScaling;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The persistent decode kernel (DecodeLayers.cu: every layer of a one-sequence decode step in one
 * launch, grid barriers between the stages) against its oracle, the fused path's five kernels a
 * layer, on the same weights and the same KV cache contents: eager and through CUDA graphs, at a
 * short context and past 512 positions (more attention splits, combined by the last split's block).
 * Both paths round the same intermediates to bf16; they differ by the order of fp32 sums and by the
 * oracle's attention, which runs on tensor cores with the query rounded to bf16 (observed: relative
 * error ≤ 7e-3, KL ≤ 1e-4 on these random weights). A missed barrier or a stale read gives errors of
 * the order of the logits themselves. The conformance suite checks both against the CPU.
 *
 * <p>Shapes: Qwen2.5-0.5B's head layout (14 query heads over 2 KV heads of 64, q/k/v bias: one query
 * head per attention item) and Llama-3-8B's (GQA 4, heads of 128: two per item), shrunk to 3 layers.
 */
@Tag("gpu")
class DecodeLayersTest {
    static final int BLOCK_SIZE = 16, NUM_BLOCKS = 96, MAX_LEN = 1200;

    static Stream<Named<ModelConfig>> shapes() {
        return Stream.of(
                Named.of("qwen2.5-0.5B heads", new ModelConfig("Qwen2ForCausalLM", "qwen2", 256, 512, 3, 14, 2, 64, 1024, 2048, 1e-6,
                        1000000.0, new RopeScaling.None(), true, true, false, DType.BF16, 1, List.of(2))),
                Named.of("llama-3-8B heads", new ModelConfig("LlamaForCausalLM", "llama", 256, 640, 3, 8, 2, 128, 1024, 2048, 1e-5,
                        500000.0, new RopeScaling.None(), false, false, false, DType.BF16, 1, List.of(2))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void persistentKernelMatchesFiveKernelsALayer(ModelConfig config) {
        try (Arena arena = Arena.ofShared();
             CudaBackend persistent = (CudaBackend) ComputeBackends.create("cuda", BackendOptions.defaults());
             CudaBackend fused = (CudaBackend) ComputeBackends.create("cuda", BackendOptions.defaults())) {
            ModelWeights weights = DummyWeights.create(config, arena, new RandomWeights(77, 0.25));
            for (CudaBackend b : List.of(persistent, fused)) {
                b.loadModel(config, weights);
                b.allocateKvCache(NUM_BLOCKS, BLOCK_SIZE);
            }
            persistent.setPersistentDecode(PersistentDecode.ON); // AUTO would pick five kernels for layers this small
            fused.setPersistentDecode(PersistentDecode.OFF);
            assertTrue(persistent.persistentDecodeApplies(), "the persistent kernel should run this shape");
            List<ConformanceBatches.Seq> seqs = ConformanceBatches.randomSequences(1, MAX_LEN, config.vocabSize(), 5, BLOCK_SIZE, NUM_BLOCKS);

            int at = 0;
            for (int[] phase : new int[][] {{21, 6}, {600, 6}}) { // {prefill to, decode steps}: short context, then split
                int prefill = phase[0] - at;
                same(persistent, fused, ConformanceBatches.step(BLOCK_SIZE, seqs, new int[] {at}, new int[] {prefill}), "prefill to " + phase[0]);
                at = phase[0];
                for (int step = 0; step < phase[1]; step++, at++) {
                    boolean graphs = step % 2 == 0;
                    persistent.setCudaGraphs(graphs);
                    fused.setCudaGraphs(graphs);
                    same(persistent, fused, ConformanceBatches.step(BLOCK_SIZE, seqs, new int[] {at}, new int[] {1}),
                            "decode at position " + at + (graphs ? ", graphs" : ", eager"));
                }
            }
        }
    }

    /** Both backends compute {@code batch}; every row's logits agree to fp32 summation order. */
    private static void same(CudaBackend persistent, CudaBackend fused, ForwardBatch batch, String what) {
        Logits a = persistent.forward(batch), b = fused.forward(batch);
        assertEquals(b.numRows(), a.numRows(), what);
        for (int r = 0; r < a.numRows(); r++) {
            LogitComparison c = LogitComparison.of(a.row(r), b.row(r));
            if (r == a.numRows() - 1) System.out.printf("%s: max abs diff %.2e of max %.2e, KL %.2e%n", what, c.maxAbsDiff(), c.maxAbsRef(), c.klDivergence());
            assertTrue(c.withinTolerance(3e-2, 1e-3),
                    what + ", row " + r + ": persistent vs five kernels a layer " + c);
        }
    }
}
