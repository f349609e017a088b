package dev.pagoda.engine.events;

import java.util.List;

/**
 * What one engine step did: the inputs it found queued, the scheduler's decisions in order, the
 * counters, and the block pool and block tables afterwards. Immutable, so it can cross threads.
 *
 * @param step      the engine's step number (1 for the first step that computed something); a
 *                  {@link #snapshot} repeats the number of the last step
 * @param snapshot  true for a state-only event (a new observer's starting picture): no inputs, no decisions
 * @param inputs    requests added and aborted since the previous step, in order
 * @param decisions admissions, prefill chunks and decodes in batch order, then preemptions, the
 *                  waiting queue's head if it was left waiting, then finishes and aborts
 * @param stats     counters after the step
 * @param kvCache   the pool after the step
 */
public record EngineStepEvent(long step, boolean snapshot, List<EngineInput> inputs, List<SchedulerDecision> decisions,
                              SchedulerStats stats, KvCacheSnapshot kvCache) {
    public EngineStepEvent {
        inputs = List.copyOf(inputs);
        decisions = List.copyOf(decisions);
    }
}
