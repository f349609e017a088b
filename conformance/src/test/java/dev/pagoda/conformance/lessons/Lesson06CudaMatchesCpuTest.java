package dev.pagoda.conformance.lessons;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Lesson 6: the CUDA kernel reads the same paged cache the same way as the CPU reference, so the
 * same {@link ForwardBatch} gives the same logits, to within bf16's precision. Tagged {@code gpu}:
 * the default build skips it; on a GPU host {@code scripts/gpu/run-on-gpu.sh} runs it with every gpu test.
 * (docs/paged-attention.md, section 6)
 */
@Tag("gpu")
class Lesson06CudaMatchesCpuTest {

    @Test
    void sameBatchSameLogits() {
        int[] prompt = Lessons.encode("Once upon a time, there was a little girl named Lily");
        try (LoadedModel model = ModelLoader.load(Fixtures.stories260k(), LoadFormat.SAFETENSORS);
                ComputeBackend cpu = ComputeBackends.create("cpu", BackendOptions.defaults());
                ComputeBackend cuda = ComputeBackends.create("cuda", BackendOptions.defaults())) {
            cpu.loadModel(model.config(), model.weights());
            cuda.loadModel(model.config(), model.weights());
            cpu.allocateKvCache(16, 4);
            cuda.allocateKvCache(16, 4);
            // The prompt in scattered blocks, logits for every row: prefill, then one decode step.
            int[] table = {11, 2, 7, 0, 5};
            ForwardBatch prefill = batch(table, 0, prompt);
            compare(cpu.forward(prefill), cuda.forward(prefill));
            ForwardBatch decode = batch(table, prompt.length, 263);
            compare(cpu.forward(decode), cuda.forward(decode));
        }
    }

    private static void compare(Logits cpu, Logits cuda) {
        assertEquals(cpu.numRows(), cuda.numRows());
        for (int r = 0; r < cpu.numRows(); r++) {
            LogitComparison c = LogitComparison.of(cuda.row(r), cpu.row(r));
            assertTrue(c.withinTolerance(CudaTolerances.TRAINED_MODEL_MAX_RELATIVE_ERROR, CudaTolerances.TRAINED_MODEL_MAX_KL), "row " + r + ": " + c);
            assertTrue(c.argmaxAgreesOrTie(), "row " + r + ": " + c);
        }
    }

    private static ForwardBatch batch(int[] table, int start, int... tokens) {
        int n = tokens.length, block = 4;
        int[] positions = new int[n], slots = new int[n], rows = new int[n];
        for (int i = 0; i < n; i++) {
            positions[i] = start + i;
            slots[i] = table[positions[i] / block] * block + positions[i] % block;
            rows[i] = i;
        }
        return new ForwardBatch(tokens, positions, new int[] {0, n}, new int[] {start + n}, new int[][] {table}, slots, rows);
    }
}
