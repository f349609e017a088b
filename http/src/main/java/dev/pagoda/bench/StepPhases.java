package dev.pagoda.bench;

import dev.pagoda.engine.engine.StepOutput;

/**
 * Where the engine's decode steps spend their host time, from each {@link StepOutput}'s clocks:
 * scheduling, the forward pass with sampling (on a GPU: queuing the work and waiting for it), and
 * the update (appending tokens, detokenizing, stop checks, outputs). Only pure decode steps (one new
 * token per sequence) count, so a prompt's prefill does not skew the per-token figure.
 */
final class StepPhases {
    private long steps, scheduleNanos, forwardNanos, updateNanos;

    void add(StepOutput s) {
        if (s.numSeqs() == 0 || s.numBatchedTokens() != s.numSeqs()) return;
        steps++;
        scheduleNanos += s.scheduleNanos();
        forwardNanos += s.forwardNanos();
        updateNanos += s.sampleNanos();
    }

    void reset() {
        steps = scheduleNanos = forwardNanos = updateNanos = 0;
    }

    long steps() {
        return steps;
    }

    /** Mean µs per decode step: {schedule, forward + sample, update}. */
    double[] meanMicros() {
        double n = Math.max(1, steps);
        return new double[] {scheduleNanos / n / 1e3, forwardNanos / n / 1e3, updateNanos / n / 1e3};
    }

    String describe() {
        double[] m = meanMicros();
        return String.format("decode step host time (mean µs over %d steps): schedule %.1f, forward + sample %.1f, update %.1f", steps, m[0], m[1], m[2]);
    }
}
