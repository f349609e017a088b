package dev.pagoda.backend.cpu;

/**
 * Where the time of forward passes goes: wall time per phase, summed over every step and layer, and
 * the number of parallel regions (each one ends with the caller waiting for every chunk, which is
 * where a busy machine hurts: a helper thread descheduled while holding a chunk stalls the step).
 *
 * <p>Off by default ({@link LlamaForwardPass} checks for {@code null}); the tests' {@code DecodeProfile}
 * probe switches it on. A phase is timed from the previous mark to its own, on the calling thread.
 */
final class StepProfile {
    /**
     * The phases of a step in the order the forward pass runs them; a fused phase includes what
     * follows its matmul (QKV_PROJ: RoPE and the cache write; O_PROJ and DOWN_PROJ: the residual add;
     * GATE_UP_PROJ: silu-and-mul; ATTENTION: de-interleaving its output for o_proj).
     */
    enum Phase {
        EMBEDDING, INPUT_NORM, QKV_PROJ, ATTENTION, O_PROJ, POST_ATTENTION_NORM, GATE_UP_PROJ, DOWN_PROJ, FINAL_NORM, LM_HEAD
    }

    private final long[] nanos = new long[Phase.values().length];
    private long last;
    private long steps, regionsAtStart, regions;

    /** Starts timing a step; {@code poolRegions} is the pool's {@link WorkerPool#regions()} now. */
    void startStep(long poolRegions) {
        regionsAtStart = poolRegions;
        last = System.nanoTime();
    }

    /** Charges the time since the previous mark to {@code phase}. */
    void mark(Phase phase) {
        long now = System.nanoTime();
        nanos[phase.ordinal()] += now - last;
        last = now;
    }

    void endStep(long poolRegions) {
        regions += poolRegions - regionsAtStart;
        steps++;
    }

    long steps() {
        return steps;
    }

    /** Parallel regions per step, on average. */
    double regionsPerStep() {
        return steps == 0 ? 0 : (double) regions / steps;
    }

    /** Milliseconds per step spent in {@code phase}, on average. */
    double millisPerStep(Phase phase) {
        return steps == 0 ? 0 : nanos[phase.ordinal()] / 1e6 / steps;
    }

    void reset() {
        java.util.Arrays.fill(nanos, 0);
        steps = regions = 0;
    }
}
