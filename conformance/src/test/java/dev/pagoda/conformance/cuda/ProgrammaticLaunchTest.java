package dev.pagoda.conformance.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.pagoda.backend.cuda.ConformanceBatches;
import dev.pagoda.backend.cuda.CudaBackend;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.testing.Fixtures;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Programmatic dependent launch changes when a kernel starts, never what it computes: the same
 * steps with it on and off give bit-identical logits, eager and through CUDA graphs, on the fused
 * decode path and the unfused one, and for a short prefill chunk (fused kernels around the prefill
 * attention kernel). stories260K's kernels last a few µs, so a kernel that read an
 * earlier kernel's output before {@code waitForPriorKernels} would very likely read stale data here.
 * (On a GPU older than Hopper both backends launch plainly and the test is trivially true.)
 */
@Tag("gpu")
class ProgrammaticLaunchTest {

    @Test
    void sameLogitsWithAndWithoutProgrammaticLaunch() {
        int blockSize = 16, numBlocks = 64, maxLen = 64;
        int[] promptLens = {7, 19, 3, 30, 12};
        try (LoadedModel model = ModelLoader.load(Fixtures.stories260k(), LoadFormat.SAFETENSORS);
             CudaBackend on = (CudaBackend) ComputeBackends.create("cuda", BackendOptions.defaults());
             CudaBackend off = (CudaBackend) ComputeBackends.create("cuda", BackendOptions.defaults())) {
            for (CudaBackend b : List.of(on, off)) {
                b.loadModel(model.config(), model.weights());
                b.allocateKvCache(numBlocks, blockSize);
            }
            boolean pdl = on.setProgrammaticLaunch(true);
            assertFalse(off.setProgrammaticLaunch(false));
            System.out.println("programmatic dependent launch " + (pdl ? "on" : "not available") + ": " + on.describeDevice());
            int vocab = model.config().vocabSize();
            List<ConformanceBatches.Seq> seqs = ConformanceBatches.randomSequences(promptLens.length, maxLen, vocab, 200, blockSize, numBlocks);

            same(on, off, ConformanceBatches.step(blockSize, seqs, new int[promptLens.length], promptLens), "prefill");
            int[] next = promptLens.clone();
            String[] paths = {"graphs, fused", "eager, fused", "graphs, unfused", "eager, unfused"};
            for (int p = 0; p < paths.length; p++) {
                for (CudaBackend b : List.of(on, off)) {
                    b.setCudaGraphs(p % 2 == 0);
                    b.setFusedDecode(p < 2);
                }
                // A 7-token chunk of one sequence: the fused kernels with the prefill attention kernel between them.
                same(on, off, ConformanceBatches.step(blockSize, seqs.subList(0, 1), new int[] {next[0]}, new int[] {7}), paths[p] + ", a 7-token chunk");
                next[0] += 7;
                for (int active : new int[] {5, 1}) {
                    List<ConformanceBatches.Seq> decoding = seqs.subList(0, active);
                    for (int i = 0; i < 2; i++) {
                        int[] from = Arrays.copyOf(next, active), ones = new int[active];
                        Arrays.fill(ones, 1);
                        same(on, off, ConformanceBatches.step(blockSize, decoding, from, ones), paths[p] + ", " + active + " sequences, step " + i);
                        for (int s = 0; s < active; s++) next[s]++;
                    }
                }
            }
        }
    }

    private static void same(CudaBackend on, CudaBackend off, ForwardBatch batch, String what) {
        Logits a = on.forward(batch), b = off.forward(batch);
        assertEquals(b.numRows(), a.numRows(), what);
        for (int r = 0; r < a.numRows(); r++) assertArrayEquals(b.row(r), a.row(r), what + ": row " + r + " differs with programmatic launch");
    }
}
