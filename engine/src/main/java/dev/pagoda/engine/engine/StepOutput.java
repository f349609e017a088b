package dev.pagoda.engine.engine;

import java.util.List;

/**
 * What one {@link LlmEngine#step()} did.
 *
 * @param outputs          requests with a new token, a finish, or an abort this step
 * @param numSeqs          sequences in the forward pass
 * @param numBatchedTokens tokens computed
 * @param numPreempted     sequences preempted to make room
 * @param scheduleNanos    time in the scheduler (incl. block allocation)
 * @param forwardNanos     time in the backend's forward pass (incl. building its input)
 * @param sampleNanos      time sampling and updating sequences, text and outputs
 */
public record StepOutput(List<RequestOutput> outputs, int numSeqs, int numBatchedTokens, int numPreempted,
                         long scheduleNanos, long forwardNanos, long sampleNanos) {
    static StepOutput idle(List<RequestOutput> outputs) {
        return new StepOutput(outputs, 0, 0, 0, 0, 0, 0);
    }
}
