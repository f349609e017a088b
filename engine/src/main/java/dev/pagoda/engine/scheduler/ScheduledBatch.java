package dev.pagoda.engine.scheduler;

import dev.pagoda.engine.sequence.Sequence;
import java.util.List;

/**
 * What one step computes (vLLM's {@code SchedulerOutput}).
 *
 * @param scheduled         grants, in batch order: running sequences first, then newly admitted ones
 * @param preempted         sequences that lost their blocks this step (they wait to be recomputed)
 * @param numBatchedTokens  sum of {@code numNewTokens}, at most {@code maxNumBatchedTokens}
 */
public record ScheduledBatch(List<ScheduledSequence> scheduled, List<Sequence> preempted, int numBatchedTokens) {
    public ScheduledBatch {
        scheduled = List.copyOf(scheduled);
        preempted = List.copyOf(preempted);
    }

    public boolean isEmpty() {
        return scheduled.isEmpty();
    }
}
