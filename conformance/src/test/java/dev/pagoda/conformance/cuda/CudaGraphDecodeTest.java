package dev.pagoda.conformance.cuda;

import dev.pagoda.backend.cuda.ConformanceBatches;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.backend.cuda.CudaBackend;
import dev.pagoda.backend.cuda.CudaTolerances;
import dev.pagoda.backend.cuda.LogitComparison;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
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
 * Decode through CUDA graphs gives the logits of eager launches and of the CPU: stories260K, five
 * sequences of different lengths prefilled in one mixed batch, then batched decode steps of 5
 * sequences (padded to the graph of 8), then of 3 (graph of 4), then 1, with scattered block tables;
 * with the linear layers through cuBLAS and through Gemv.cu.
 */
@Tag("gpu")
class CudaGraphDecodeTest {

    @Test
    void graphDecodeMatchesEagerAndCpu() {
        int blockSize = 16, numBlocks = 64, maxLen = 60;
        int[] promptLens = {7, 19, 3, 30, 12};
        try (LoadedModel model = ModelLoader.load(Fixtures.stories260k(), LoadFormat.SAFETENSORS);
             ComputeBackend cpu = ComputeBackends.create("cpu", BackendOptions.defaults());
             CudaBackend eager = (CudaBackend) ComputeBackends.create("cuda", BackendOptions.defaults());
             CudaBackend graphs = (CudaBackend) ComputeBackends.create("cuda", BackendOptions.defaults());
             CudaBackend gemvGraphs = (CudaBackend) ComputeBackends.create("cuda", BackendOptions.defaults())) {
            ComputeBackend[] all = {cpu, eager, graphs, gemvGraphs};
            for (ComputeBackend b : all) {
                b.loadModel(model.config(), model.weights());
                b.allocateKvCache(numBlocks, blockSize);
            }
            eager.setCudaGraphs(false);
            graphs.setCudaGraphs(true);
            gemvGraphs.setCudaGraphs(true);
            gemvGraphs.setGemv(true); // decode's linear layers through Gemv.cu instead of cuBLAS
            int vocab = model.config().vocabSize();
            List<ConformanceBatches.Seq> seqs = ConformanceBatches.randomSequences(promptLens.length, maxLen, vocab, 100, blockSize, numBlocks);

            // Prefill all five in one (eager) step.
            int[] starts = new int[promptLens.length];
            compare(all, ConformanceBatches.step(blockSize, seqs, starts, promptLens), "prefill");
            int[] next = promptLens.clone();
            int steps = 0;
            for (int active : new int[] {5, 3, 1}) {
                List<ConformanceBatches.Seq> decoding = seqs.subList(0, active);
                for (int i = 0; i < 6; i++, steps++) {
                    int[] from = Arrays.copyOf(next, active), ones = new int[active];
                    Arrays.fill(ones, 1);
                    compare(all, ConformanceBatches.step(blockSize, decoding, from, ones), active + " sequences, step " + i);
                    for (int s = 0; s < active; s++) next[s]++;
                }
            }
            System.out.println("graph decode backend: " + graphs.pathStatistics() + "; eager backend: " + eager.pathStatistics());
            assertTrue(graphs.pathStatistics().startsWith("graphs: " + steps + " steps (3 graphs captured)"), graphs.pathStatistics());
            assertTrue(eager.pathStatistics().startsWith("graphs: 0 steps"), eager.pathStatistics());
        }
    }

    /** Backends [cpu, eager, graphs, graphs with Gemv.cu]: each GPU path against eager and the CPU. */
    private static void compare(ComputeBackend[] backends, ForwardBatch batch, String what) {
        Logits cpu = backends[0].forward(batch), eager = backends[1].forward(batch);
        for (int i = 2; i < backends.length; i++) compare(cpu, eager, backends[i].forward(batch), batch, what + " (backend " + i + ")");
    }

    private static void compare(Logits cpu, Logits eager, Logits graphs, ForwardBatch batch, String what) {
        assertEquals(batch.logitsIndices().length, graphs.numRows(), what);
        for (int r = 0; r < cpu.numRows(); r++) {
            LogitComparison vsEager = LogitComparison.of(graphs.row(r), eager.row(r));
            assertTrue(vsEager.relativeError() <= CudaTolerances.SCHEDULE_MAX_RELATIVE_ERROR, what + " row " + r + " graphs vs eager: " + vsEager);
            LogitComparison vsCpu = LogitComparison.of(graphs.row(r), cpu.row(r));
            assertTrue(vsCpu.withinTolerance(CudaTolerances.TRAINED_MODEL_MAX_RELATIVE_ERROR, CudaTolerances.TRAINED_MODEL_MAX_KL),
                    what + " row " + r + " graphs vs CPU: " + vsCpu);
        }
    }
}
