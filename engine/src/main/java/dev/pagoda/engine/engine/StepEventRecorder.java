package dev.pagoda.engine.engine;

import dev.pagoda.engine.events.BlockState;
import dev.pagoda.engine.events.EngineInput;
import dev.pagoda.engine.events.EngineStepEvent;
import dev.pagoda.engine.events.EngineStepListener;
import dev.pagoda.engine.events.KvCacheSnapshot;
import dev.pagoda.engine.events.SchedulerDecision;
import dev.pagoda.engine.events.SchedulerDecision.Kind;
import dev.pagoda.engine.events.SchedulerStats;
import dev.pagoda.engine.events.SequenceBlocks;
import dev.pagoda.engine.kvcache.BlockHash;
import dev.pagoda.engine.kvcache.BlockManager;
import dev.pagoda.engine.kvcache.BlockTable;
import dev.pagoda.engine.kvcache.ComputedBlocks;
import dev.pagoda.engine.kvcache.KvBlock;
import dev.pagoda.engine.kvcache.PrefixCacheStats;
import dev.pagoda.engine.scheduler.ScheduledBatch;
import dev.pagoda.engine.scheduler.ScheduledSequence;
import dev.pagoda.engine.scheduler.Scheduler;
import dev.pagoda.engine.sequence.Sequence;
import dev.pagoda.engine.sequence.SequenceStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns one {@link LlmEngine#step()} into an {@link EngineStepEvent} for the registered listeners.
 * It reads the scheduler's output and the pool through their public views only, so the scheduler
 * itself stays free of observation code. The engine creates a recorder only while someone listens:
 * with no listener, a step costs nothing extra.
 *
 * <p>The "why" of each decision is reconstructed from the budgets: a grant's token budget left is
 * {@code maxNumBatchedTokens} minus the grants before it in batch order, because the scheduler
 * grants in exactly that order.
 */
final class StepEventRecorder {
    private final Scheduler scheduler;
    private final BlockManager blockManager;
    final List<EngineStepListener> listeners = new ArrayList<>();
    private final List<EngineInput> inputs = new ArrayList<>();
    private final List<SchedulerDecision> aborted = new ArrayList<>(); // between steps
    private List<SchedulerDecision> decisions = new ArrayList<>();
    private Set<Long> runningBefore = Set.of();

    StepEventRecorder(Scheduler scheduler) {
        this.scheduler = scheduler;
        this.blockManager = scheduler.blockManager();
    }

    void requestAdded(String requestId, int[] promptTokenIds, Map<String, Object> samplingParams, int priority) {
        List<Integer> ids = new ArrayList<>(promptTokenIds.length);
        for (int id : promptTokenIds) ids.add(id);
        inputs.add(new EngineInput.RequestAdded(requestId, ids, samplingParams, priority));
    }

    void requestAborted(String requestId, List<Sequence> seqs) {
        inputs.add(new EngineInput.RequestAborted(requestId));
        for (Sequence s : seqs) {
            aborted.add(new SchedulerDecision(Kind.ABORTED, requestId, s.index(), s.seqId(), s.numComputedTokens(), 0, 0, false,
                    "aborted by its client after " + s.numOutputTokens() + " generated tokens; its blocks go back to the pool"));
        }
    }

    void beforeSchedule() {
        runningBefore = new HashSet<>();
        for (Sequence s : scheduler.running()) runningBefore.add(s.seqId());
    }

    /** The scheduler's decisions for {@code batch}, with reasons. */
    void scheduled(ScheduledBatch batch) {
        int maxTokens = scheduler.config().maxNumBatchedTokens();
        int budget = maxTokens;
        int blockSize = blockManager.blockSize();
        for (ScheduledSequence g : batch.scheduled()) {
            Sequence s = g.sequence();
            int uncomputed = s.numTokens() - g.numComputedTokens();
            boolean chunked = g.numNewTokens() < uncomputed;
            String budgetText = "token budget left " + budget + " of " + maxTokens;
            if (!runningBefore.contains(s.seqId())) {
                int hit = g.numComputedTokens(); // an admitted sequence starts with exactly its prefix-cache hit
                StringBuilder why = new StringBuilder();
                why.append(s.numPreemptions() > 0 ? "re-admitted after preemption (recomputes its tokens)" : "admitted");
                if (chunked) why.append(", chunked: only ").append(g.numNewTokens()).append(" of its ").append(uncomputed)
                        .append(" uncomputed tokens fit the ").append(budgetText).append("; the rest follows in later steps");
                else why.append(": its ").append(g.numNewTokens()).append(g.numNewTokens() == 1 ? " token fits the " : " tokens fit the ").append(budgetText)
                        .append(" and the pool had the blocks");
                if (hit > 0) why.append("; prefix-cache hit of ").append(hit / blockSize).append(" blocks (").append(hit)
                        .append(" tokens) reused, not recomputed");
                decisions.add(new SchedulerDecision(Kind.ADMITTED, s.requestId(), s.index(), s.seqId(), g.numComputedTokens(),
                        g.numNewTokens(), hit, chunked, why.toString()));
            } else if (g.numNewTokens() == 1 && !chunked && s.numOutputTokens() > 0 && g.numComputedTokens() == s.numTokens() - 1) {
                decisions.add(new SchedulerDecision(Kind.DECODE, s.requestId(), s.index(), s.seqId(), g.numComputedTokens(), 1, 0, false,
                        "decode: computes the token sampled last step; running sequences go first, so decodes never starve"));
            } else {
                String why = "prefill continues with " + g.numNewTokens() + " of " + uncomputed + " uncomputed tokens (" + budgetText + ")"
                        + (chunked ? "; chunked again, more next step" : "; the prompt completes this step and samples");
                decisions.add(new SchedulerDecision(Kind.PREFILL, s.requestId(), s.index(), s.seqId(), g.numComputedTokens(),
                        g.numNewTokens(), 0, chunked, why));
            }
            budget -= g.numNewTokens();
        }
        for (Sequence v : batch.preempted()) {
            decisions.add(new SchedulerDecision(Kind.PREEMPTED, v.requestId(), v.index(), v.seqId(), 0, 0, 0, false,
                    "preempted (recompute): no free KV block was left for the running sequences' new tokens, so the newest, "
                            + "least important running sequence gave its blocks back and waits to be recomputed"));
        }
        waitingHead(batch, budget);
    }

    /** Why the first waiting sequence, if any, was not admitted (nobody behind it was: the queue is strictly ordered). */
    private void waitingHead(ScheduledBatch batch, int budgetLeft) {
        Sequence head = null;
        for (Sequence s : scheduler.unfinished()) {
            if (s.status() != SequenceStatus.RUNNING) {
                head = s;
                break;
            }
        }
        if (head == null) return;
        int behind = scheduler.numWaiting() - 1;
        String why;
        if (!batch.preempted().isEmpty()) {
            why = "not admitted: this step had to preempt, so nothing new is admitted (the pool is tight)";
        } else if (scheduler.numRunning() >= scheduler.config().maxNumSeqs()) {
            why = "not admitted: max_num_seqs (" + scheduler.config().maxNumSeqs() + ") sequences are already running";
        } else if (budgetLeft <= 0) {
            why = "not admitted: the token budget (max_num_batched_tokens " + scheduler.config().maxNumBatchedTokens() + ") is used up";
        } else {
            ComputedBlocks hit = head.computesPromptLogprobs() ? ComputedBlocks.NONE : blockManager.getComputedBlocks(head);
            int tokens = Math.min(head.numTokens() - hit.numComputedTokens(), budgetLeft) + hit.numComputedTokens();
            int needed = BlockTable.blocksNeeded(tokens, blockManager.blockSize()) - hit.blocks().size();
            why = "not admitted: needs " + needed + " new KV blocks, only " + blockManager.numFreeBlocks() + " are free";
        }
        if (behind > 0) why += " (" + behind + " more wait behind it)";
        decisions.add(new SchedulerDecision(Kind.WAITING, head.requestId(), head.index(), head.seqId(), head.numComputedTokens(), 0, 0, false, why));
    }

    void finished(Sequence s, SequenceStatus status) {
        String what = status == SequenceStatus.FINISHED_STOPPED ? "stopped (EOS, a stop token or a stop string)" : "reached its length limit";
        decisions.add(new SchedulerDecision(Kind.FINISHED, s.requestId(), s.index(), s.seqId(), s.numComputedTokens(), 0, 0, false,
                "finished: " + what + " after " + s.numOutputTokens() + " tokens; its blocks go back to the pool (full ones stay cached)"));
    }

    /** Sends the step's event to every listener and starts collecting the next one. */
    void emit(long step, int numBatchedTokens) {
        List<SchedulerDecision> all = new ArrayList<>(decisions);
        all.addAll(aborted);
        EngineStepEvent event = new EngineStepEvent(step, false, inputs, all, stats(numBatchedTokens), kvCache());
        inputs.clear();
        aborted.clear();
        decisions = new ArrayList<>();
        for (EngineStepListener l : List.copyOf(listeners)) {
            try {
                l.onStep(event);
            } catch (RuntimeException ex) { // an observer must never stop the engine
                System.getLogger(LlmEngine.class.getName()).log(System.Logger.Level.WARNING, "a step listener failed; it is removed", ex);
                listeners.remove(l);
            }
        }
    }

    /** True when something happened since the last event (an idle step that only aborted, say). */
    boolean hasPending() {
        return !inputs.isEmpty() || !aborted.isEmpty() || !decisions.isEmpty();
    }

    /** The current state as a state-only event. */
    EngineStepEvent snapshot(long step) {
        return new EngineStepEvent(step, true, List.of(), List.of(), stats(0), kvCache());
    }

    private SchedulerStats stats(int numBatchedTokens) {
        PrefixCacheStats p = blockManager.prefixCacheStats();
        return new SchedulerStats(scheduler.numRunning(), scheduler.numWaiting(), numBatchedTokens, scheduler.config().maxNumBatchedTokens(),
                scheduler.config().maxNumSeqs(), blockManager.usage(), p.queries(), p.hits(), scheduler.numPreemptions());
    }

    private KvCacheSnapshot kvCache() {
        Map<Integer, List<Long>> owners = new HashMap<>();
        List<SequenceBlocks> sequences = new ArrayList<>();
        for (Sequence s : scheduler.unfinished()) {
            int[] ids = blockManager.blockIds(s);
            List<Integer> table = new ArrayList<>(ids.length);
            for (int id : ids) {
                table.add(id);
                owners.computeIfAbsent(id, k -> new ArrayList<>()).add(s.seqId());
            }
            sequences.add(new SequenceBlocks(s.requestId(), s.index(), s.seqId(), s.status().name().toLowerCase(java.util.Locale.ROOT),
                    s.numTokens(), s.numComputedTokens(), table));
        }
        List<BlockState> blocks = new ArrayList<>();
        for (int i = 0; i < blockManager.numBlocks(); i++) {
            KvBlock b = blockManager.pool().block(i);
            BlockHash h = b.blockHash();
            if (b.refCount() == 0 && h == null) continue;
            blocks.add(new BlockState(i, b.refCount(), h == null ? null : String.format("%016x", h.h0()), owners.getOrDefault(i, List.of())));
        }
        return new KvCacheSnapshot(blockManager.blockSize(), blockManager.numBlocks(), blockManager.numFreeBlocks(), blocks, sequences);
    }
}
