package dev.pagoda.engine.scheduler;

/**
 * Limits of one scheduling step (vLLM's {@code SchedulerConfig}).
 *
 * @param maxNumSeqs          sequences running at once (each decode step computes one token of each)
 * @param maxNumBatchedTokens tokens computed in one step, all sequences together; a prompt longer than
 *                            what is left is computed in chunks over several steps (chunked prefill)
 * @param maxModelLen         longest sequence (prompt + output) accepted
 */
public record SchedulerConfig(int maxNumSeqs, int maxNumBatchedTokens, int maxModelLen) {
    public SchedulerConfig {
        if (maxNumSeqs < 1) throw new IllegalArgumentException("max_num_seqs must be at least 1, got " + maxNumSeqs);
        if (maxNumBatchedTokens < 1) throw new IllegalArgumentException("max_num_batched_tokens must be at least 1, got " + maxNumBatchedTokens);
        if (maxModelLen < 2) throw new IllegalArgumentException("max_model_len must be at least 2, got " + maxModelLen);
    }
}
