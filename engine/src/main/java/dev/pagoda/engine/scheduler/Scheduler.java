package dev.pagoda.engine.scheduler;

import dev.pagoda.engine.kvcache.BlockManager;
import dev.pagoda.engine.kvcache.BlockTable;
import dev.pagoda.engine.kvcache.ComputedBlocks;
import dev.pagoda.engine.sequence.Sequence;
import dev.pagoda.engine.sequence.SequenceStatus;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * Continuous batching (vLLM v1's scheduler): every step decides, for each sequence, how many of its
 * uncomputed tokens to compute, under two budgets: {@code maxNumSeqs} sequences and
 * {@code maxNumBatchedTokens} tokens. There are no separate prefill and decode phases: a prompt is
 * a sequence with many uncomputed tokens, a decoding sequence has one (the token sampled last
 * step); a prompt that does not fit the token budget left gets a smaller grant and continues next
 * step (chunked prefill).
 *
 * <p>{@link #schedule()} in two passes:
 * <ol>
 *   <li><b>Running sequences first</b>, oldest first, so that decodes are never starved by new
 *       prompts. Each needs KV slots for its new tokens; when the pool is out of blocks the
 *       <em>newest</em> running sequence is preempted (its blocks freed, to be recomputed later)
 *       until the allocation succeeds; a sequence that is itself the newest preempts itself.</li>
 *   <li><b>Then waiting sequences</b> in (priority, arrival) order while sequences, tokens and
 *       blocks last. Each is first looked up in the prefix cache: its cached full blocks are
 *       reused and their tokens skipped. Nothing is admitted in a step that preempted (the pool is
 *       tight: admitting would only preempt again), and the queue is strictly ordered: if its head
 *       does not fit, nobody behind it is admitted.</li>
 * </ol>
 *
 * <p>Why this never deadlocks: the oldest running sequence can always grow, since it may preempt
 * every other, and a sequence alone always fits (requests that could not are rejected by {@link #add}).
 * So the oldest sequence makes progress every step and eventually finishes.
 *
 * <p>Priority: smaller {@link Sequence#priority()} first, arrival order within a priority. The
 * running list is kept in that order, so "the newest" victim is the least important one. A
 * preempted sequence keeps its arrival order, so it re-enters the waiting queue at the front of
 * its priority. Single-threaded: the engine thread owns it.
 */
public final class Scheduler {
    private static final Comparator<Sequence> QUEUE_ORDER = Comparator.comparingInt(Sequence::priority)
            .thenComparingLong(Sequence::arrivalOrder).thenComparingLong(Sequence::seqId);

    private final SchedulerConfig config;
    private final BlockManager blockManager;
    private final TreeSet<Sequence> waiting = new TreeSet<>(QUEUE_ORDER); // WAITING and PREEMPTED
    private final List<Sequence> running = new ArrayList<>(); // admission order within a priority; the last is the victim
    private long numPreemptions;

    public Scheduler(SchedulerConfig config, BlockManager blockManager) {
        this.config = config;
        this.blockManager = blockManager;
    }

    public SchedulerConfig config() { return config; }
    public BlockManager blockManager() { return blockManager; }
    public int numWaiting() { return waiting.size(); }
    public int numRunning() { return running.size(); }
    public boolean hasUnfinished() { return !waiting.isEmpty() || !running.isEmpty(); }
    public long numPreemptions() { return numPreemptions; }

    /** Every sequence not yet finished (running, then waiting), for invariant checks. */
    public List<Sequence> unfinished() {
        List<Sequence> all = new ArrayList<>(running);
        all.addAll(waiting);
        return all;
    }

    /**
     * Queues a new sequence. Rejects, with the reason, one that could never be served however
     * empty the engine: longer than {@code maxModelLen}, or needing more KV blocks than the cache has.
     */
    public void add(Sequence seq) {
        checkFits(seq, config, blockManager.numBlocks(), blockManager.blockSize());
        if (seq.status() != SequenceStatus.WAITING) throw new IllegalArgumentException(seq + " is not new");
        waiting.add(seq);
    }

    /** The up-front check of {@link #add}, usable before creating the engine's sequences. */
    public static void checkFits(Sequence seq, SchedulerConfig config, int numBlocks, int blockSize) {
        long maxLen = (long) seq.numPromptTokens() + seq.maxTokens();
        if (maxLen > config.maxModelLen()) {
            throw new IllegalArgumentException("request " + seq.requestId() + ": prompt (" + seq.numPromptTokens()
                    + " tokens) + max_tokens (" + seq.maxTokens() + ") = " + maxLen + " exceeds max_model_len " + config.maxModelLen());
        }
        // The last sampled token is never fed back, so the cache holds at most maxLen - 1 tokens.
        int blocks = BlockTable.blocksNeeded((int) maxLen - 1, blockSize);
        if (blocks > numBlocks) {
            throw new IllegalArgumentException("request " + seq.requestId() + ": prompt + max_tokens = " + maxLen
                    + " tokens need " + blocks + " KV blocks of " + blockSize + ", the whole cache has " + numBlocks);
        }
    }

    /** Decides the next step. An empty batch means there is nothing to do. */
    public ScheduledBatch schedule() {
        List<ScheduledSequence> scheduled = new ArrayList<>();
        List<Sequence> preempted = new ArrayList<>();
        int tokenBudget = config.maxNumBatchedTokens();

        // 1. Running sequences, most important first; victims are taken from the other end.
        int i = 0;
        while (i < running.size() && tokenBudget > 0) {
            Sequence seq = running.get(i);
            // region: preemption
            int numNewTokens = Math.min(seq.numUncomputedTokens(), tokenBudget);
            boolean allocated;
            while (!(allocated = blockManager.allocateSlots(seq, numNewTokens, ComputedBlocks.NONE))) {
                Sequence victim = running.removeLast();
                preempt(victim);
                preempted.add(victim);
                if (victim == seq) break; // it was the newest: it waits for the others to make room
            }
            if (!allocated) break;
            // endregion
            scheduled.add(new ScheduledSequence(seq, seq.numComputedTokens(), numNewTokens));
            tokenBudget -= numNewTokens;
            i++;
        }

        // 2. Waiting sequences, unless this step had to preempt.
        while (preempted.isEmpty() && !waiting.isEmpty() && tokenBudget > 0 && running.size() < config.maxNumSeqs()) {
            Sequence seq = waiting.first();
            // Prompt logprobs need logits at every prompt position, which a cached block cannot give.
            ComputedBlocks hit = seq.computesPromptLogprobs() ? ComputedBlocks.NONE : blockManager.getComputedBlocks(seq);
            int numNewTokens = Math.min(seq.numTokens() - hit.numComputedTokens(), tokenBudget);
            if (!blockManager.allocateSlots(seq, numNewTokens, hit)) break;
            waiting.pollFirst();
            seq.setNumComputedTokens(hit.numComputedTokens());
            seq.setNumCachedTokensIfUnset(hit.numComputedTokens());
            seq.setStatus(SequenceStatus.RUNNING);
            insertRunning(seq);
            scheduled.add(new ScheduledSequence(seq, hit.numComputedTokens(), numNewTokens));
            tokenBudget -= numNewTokens;
        }
        return new ScheduledBatch(scheduled, preempted, config.maxNumBatchedTokens() - tokenBudget);
    }

    /** After the forward pass: the granted tokens are now in the cache. */
    public void updateComputedTokens(ScheduledBatch batch) {
        for (ScheduledSequence s : batch.scheduled()) {
            s.sequence().setNumComputedTokens(s.numComputedTokens() + s.numNewTokens());
        }
    }

    /** Ends {@code seq} (stopped, length-capped or aborted): it leaves the queues and its blocks are freed. */
    public void finish(Sequence seq, SequenceStatus status) {
        if (!status.isFinished()) throw new IllegalArgumentException(status + " is not a finished status");
        if (seq.isFinished()) return;
        if (!running.remove(seq)) waiting.remove(seq);
        blockManager.free(seq);
        seq.setStatus(status);
    }

    // region: preempt
    private void preempt(Sequence victim) {
        blockManager.free(victim);
        victim.preempt();
        waiting.add(victim);
        numPreemptions++;
    }
    // endregion

    /** Keeps {@code running} ordered by priority, then admission: insert after every sequence of equal or smaller priority. */
    private void insertRunning(Sequence seq) {
        int at = running.size();
        while (at > 0 && running.get(at - 1).priority() > seq.priority()) at--;
        running.add(at, seq);
    }

    /** The running sequences, most important first (read-only view for tests). */
    public Collection<Sequence> running() {
        return List.copyOf(running);
    }
}
