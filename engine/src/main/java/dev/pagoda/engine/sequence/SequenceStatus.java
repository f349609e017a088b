package dev.pagoda.engine.sequence;

/**
 * Where a {@link Sequence} is in its life (vLLM's {@code RequestStatus}).
 *
 * <pre>
 *   WAITING ──admitted──▶ RUNNING ──stop / length / abort──▶ FINISHED_*
 *      ▲                     │
 *      └──── PREEMPTED ◀─────┘  out of KV blocks: its blocks are freed and it is recomputed later
 * </pre>
 */
public enum SequenceStatus {
    /** Queued, holds no KV blocks. */
    WAITING,
    /** Has KV blocks and is scheduled every step until it finishes or is preempted. */
    RUNNING,
    /** Was running, lost its KV blocks to an older sequence; waits (at the front) to be recomputed. */
    PREEMPTED,
    /** Produced a stop token or stop string. */
    FINISHED_STOPPED,
    /** Reached {@code max_tokens} or the model's context length. */
    FINISHED_LENGTH_CAPPED,
    /** Aborted by the caller. */
    FINISHED_ABORTED;

    public boolean isFinished() {
        return this == FINISHED_STOPPED || this == FINISHED_LENGTH_CAPPED || this == FINISHED_ABORTED;
    }
}
