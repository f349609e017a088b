package dev.pagoda.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.backend.cpu.TestBatches.Step;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.model.ModelConfig;
import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The synchronization budget of a step: how many parallel regions (waits for every worker) a forward pass has. */
class StepProfileTest {

    @Test
    void aDecodeStepIsFiveParallelRegionsPerLayerPlusLmHead() {
        ModelConfig c = RandomModels.tinyLlama();
        try (Arena arena = Arena.ofShared(); CpuBackend b = new CpuBackend(new BackendOptions(2))) {
            b.loadModel(c, RandomModels.weights(c, arena, 3));
            b.allocateKvCache(16, 4);
            StepProfile profile = new StepProfile();
            b.profile(profile);
            int[] prompt = {5, 17, 3, 99, 42};
            for (int t = 0; t < prompt.length; t++) b.forward(TestBatches.batch(4, List.of(new Step(prompt, new int[] {3, 7}, t, 1))));
            assertEquals(prompt.length, profile.steps());
            // q/k/v + RoPE + cache write, attention, o_proj + add, gate/up + silu, down_proj + add; then lm_head.
            assertEquals(5 * c.numHiddenLayers() + 1, profile.regionsPerStep());
            for (StepProfile.Phase p : new StepProfile.Phase[] {StepProfile.Phase.QKV_PROJ, StepProfile.Phase.GATE_UP_PROJ, StepProfile.Phase.LM_HEAD}) {
                assertTrue(profile.millisPerStep(p) > 0, p + " was not timed");
            }
        }
    }

    @Test
    void oneThreadHasNoParallelRegions() {
        ModelConfig c = RandomModels.tinyLlama();
        try (Arena arena = Arena.ofShared(); CpuBackend b = new CpuBackend(new BackendOptions(1))) {
            b.loadModel(c, RandomModels.weights(c, arena, 3));
            b.allocateKvCache(16, 4);
            StepProfile profile = new StepProfile();
            b.profile(profile);
            b.forward(TestBatches.batch(4, List.of(new Step(new int[] {5, 17, 3}, new int[] {3}, 0, 3))));
            assertEquals(0, profile.regionsPerStep());
        }
    }
}
