package dev.pagoda.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.engine.StepOutput;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code bench latency}'s host-time split counts pure decode steps only, as means per step. */
class StepPhasesTest {
    private static StepOutput step(int numSeqs, int numTokens, long schedule, long forward, long update) {
        return new StepOutput(List.of(), numSeqs, numTokens, 0, schedule, forward, update);
    }

    @Test
    void meansOverDecodeStepsOnly() {
        StepPhases p = new StepPhases();
        p.add(step(1, 128, 90_000, 9_000_000, 50_000)); // a prefill: not a decode step
        p.add(step(0, 0, 1_000, 0, 0));                  // idle
        p.add(step(2, 2, 10_000, 1_000_000, 30_000));
        p.add(step(2, 2, 20_000, 3_000_000, 50_000));
        assertEquals(2, p.steps());
        assertArrayEquals(new double[] {15, 2000, 40}, p.meanMicros(), 1e-9);
        assertTrue(p.describe().contains("(mean µs over 2 steps): schedule 15.0, forward + sample 2000.0, update 40.0"), p.describe());
        p.reset();
        assertEquals(0, p.steps());
        assertArrayEquals(new double[] {0, 0, 0}, p.meanMicros());
    }
}
