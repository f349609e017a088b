package dev.pagoda.engine.sequence;

import dev.pagoda.engine.sampling.SamplingParams;
import java.util.Arrays;

/**
 * One generation stream: a prompt and the tokens generated after it (vLLM's {@code Request},
 * nano-vllm's {@code Sequence}). A request with {@code n > 1} becomes {@code n} sequences.
 *
 * <p>The central counter is {@link #numComputedTokens()}: how many of {@link #numTokens()} tokens
 * have their keys and values in the KV cache. The scheduler's only question about a sequence is
 * "how many of the {@code numTokens - numComputedTokens} uncomputed tokens do I compute this step?"
 * — the whole prompt (prefill), a part of it (chunked prefill), or the one token sampled last
 * step (decode) are the same question. A sequence samples a new token when a step computes its
 * last token.
 *
 * <p>The block table lives in the {@link dev.pagoda.engine.kvcache.BlockManager} (one owner for
 * block bookkeeping, as vLLM's {@code KVCacheManager.req_to_blocks}); ask it with the sequence.
 *
 * <p>Mutated only by the engine thread.
 */
public final class Sequence {
    private final long seqId;
    private final String requestId;
    private final int index;            // which of the request's n completions this is
    private final int numPromptTokens;
    private int[] tokenIds;             // [capacity] prompt then output tokens; the first numTokens are valid
    private int numTokens;
    private final int maxTokens;        // output tokens allowed
    private final long arrivalOrder;    // FCFS key: smaller arrived earlier
    private final int priority;         // smaller is served first
    private final String cacheSalt;     // prefix-cache namespace (see BlockHash)
    private final SamplingParams samplingParams; // n = 1: a child's own params (its seed) for n > 1

    private SequenceStatus status = SequenceStatus.WAITING;
    private int numComputedTokens;
    private int numCachedTokens = -1;   // prefix-cache hit at first admission; -1 until admitted
    private int numPreemptions;

    public Sequence(long seqId, String requestId, int index, int[] promptTokenIds, int maxTokens,
                    long arrivalOrder, int priority, String cacheSalt, SamplingParams samplingParams) {
        if (promptTokenIds.length == 0) throw new IllegalArgumentException("request " + requestId + ": the prompt is empty");
        if (maxTokens < 1) throw new IllegalArgumentException("request " + requestId + ": max_tokens must be at least 1, got " + maxTokens);
        this.seqId = seqId;
        this.requestId = requestId;
        this.index = index;
        this.numPromptTokens = promptTokenIds.length;
        this.tokenIds = Arrays.copyOf(promptTokenIds, promptTokenIds.length + Math.min(maxTokens, 256));
        this.numTokens = promptTokenIds.length;
        this.maxTokens = maxTokens;
        this.arrivalOrder = arrivalOrder;
        this.priority = priority;
        this.cacheSalt = cacheSalt;
        this.samplingParams = samplingParams;
    }

    public long seqId() { return seqId; }
    public String requestId() { return requestId; }
    public int index() { return index; }
    public int numPromptTokens() { return numPromptTokens; }
    public int numTokens() { return numTokens; }
    public int numOutputTokens() { return numTokens - numPromptTokens; }
    public int maxTokens() { return maxTokens; }
    public long arrivalOrder() { return arrivalOrder; }
    public int priority() { return priority; }
    public String cacheSalt() { return cacheSalt; }
    public SamplingParams samplingParams() { return samplingParams; }
    public SequenceStatus status() { return status; }
    public int numComputedTokens() { return numComputedTokens; }
    public int numPreemptions() { return numPreemptions; }

    /** Prompt tokens served from the prefix cache when the sequence was first admitted (-1 before). */
    public int numCachedTokens() { return numCachedTokens; }

    /** Token {@code i} (prompt then output). */
    public int tokenId(int i) {
        if (i < 0 || i >= numTokens) throw new IndexOutOfBoundsException("token " + i + " of " + numTokens);
        return tokenIds[i];
    }

    /** Tokens {@code from ..< to}, copied. */
    public int[] tokenIds(int from, int to) {
        if (from < 0 || to > numTokens || from > to) throw new IndexOutOfBoundsException("[" + from + ", " + to + ") of " + numTokens);
        return Arrays.copyOfRange(tokenIds, from, to);
    }

    public int[] promptTokenIds() { return tokenIds(0, numPromptTokens); }
    public int[] outputTokenIds() { return tokenIds(numPromptTokens, numTokens); }
    public int lastTokenId() { return tokenIds[numTokens - 1]; }

    /** Tokens still to compute before the sequence can sample again. */
    public int numUncomputedTokens() { return numTokens - numComputedTokens; }

    /**
     * Whether this sequence computes its request's prompt logprobs: the first of the request's
     * completions, while it has not sampled yet (its first sample needs the whole prompt computed,
     * so every prompt position has been seen by then). Such a sequence skips prefix-cache hits, as
     * vLLM does, because a cached block has no logits.
     */
    public boolean computesPromptLogprobs() {
        return index == 0 && numOutputTokens() == 0 && samplingParams.promptLogprobs().isPresent();
    }

    public void setStatus(SequenceStatus status) { this.status = status; }

    /** Adds a sampled token; it is uncomputed until the next step feeds it to the model. */
    public void appendTokenId(int tokenId) {
        if (numTokens == tokenIds.length) tokenIds = Arrays.copyOf(tokenIds, tokenIds.length * 2);
        tokenIds[numTokens++] = tokenId;
    }

    /** The scheduler granted {@code numComputedTokens} (the model will have computed them after this step). */
    public void setNumComputedTokens(int numComputedTokens) {
        if (numComputedTokens < 0 || numComputedTokens > numTokens) {
            throw new IllegalArgumentException("numComputedTokens " + numComputedTokens + " outside [0, " + numTokens + "]");
        }
        this.numComputedTokens = numComputedTokens;
    }

    public void setNumCachedTokensIfUnset(int numCachedTokens) {
        if (this.numCachedTokens < 0) this.numCachedTokens = numCachedTokens;
    }

    /** Lost its blocks: everything must be recomputed (prompt and output so far). */
    // region: recompute
    public void preempt() {
        status = SequenceStatus.PREEMPTED;
        numComputedTokens = 0;
        numPreemptions++;
    }
    // endregion

    public boolean isFinished() { return status.isFinished(); }

    @Override
    public String toString() {
        return "Sequence[" + requestId + "#" + index + " " + status + " computed " + numComputedTokens + "/" + numTokens + "]";
    }
}
