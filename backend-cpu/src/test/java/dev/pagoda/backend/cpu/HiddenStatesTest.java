package dev.pagoda.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.backend.cpu.TestBatches.Step;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.model.Tensor;
import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code forwardHiddenStates} (embeddings) returns exactly what the lm_head turns into the logits. */
class HiddenStatesTest {
    @Test
    void hiddenStatesTimesLmHeadAreTheLogits() {
        ModelConfig c = RandomModels.tinyLlama();
        int[] prompt = {5, 17, 3, 99, 42, 8, 8};
        ForwardBatch batch = TestBatches.batch(4, List.of(new Step(prompt, new int[] {0, 1}, 0, prompt.length)));
        try (Arena arena = Arena.ofShared()) {
            ModelWeights w = RandomModels.weights(c, arena, 11);
            Logits logits;
            float[] hidden;
            try (CpuBackend a = new CpuBackend(new BackendOptions(1)); CpuBackend b = new CpuBackend(new BackendOptions(1))) {
                a.loadModel(c, w);
                a.allocateKvCache(2, 4);
                logits = a.forward(batch);
                b.loadModel(c, w);
                b.allocateKvCache(2, 4);
                hidden = b.forwardHiddenStates(batch);
            }
            int h = c.hiddenSize();
            assertEquals(batch.logitsIndices().length * h, hidden.length);
            Tensor head = w.lmHead() != null ? w.lmHead() : w.embedTokens();
            for (int row = 0; row < logits.numRows(); row++) {
                for (int v = 0; v < c.vocabSize(); v += 7) {
                    double expected = 0;
                    for (int i = 0; i < h; i++) expected += (double) hidden[row * h + i] * NaiveOps.get(head, (long) v * h + i);
                    float actual = logits.get(row, v);
                    assertTrue(Math.abs(actual - expected) <= 1e-4 * (1 + Math.abs(expected)), "row " + row + " token " + v + ": " + actual + " vs " + expected);
                }
            }
        }
    }
}
