package dev.pagoda.engine.engine;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.events.EngineStepEvent;
import dev.pagoda.engine.events.EngineStepListener;
import dev.pagoda.engine.kvcache.BlockManager;
import dev.pagoda.engine.kvcache.KvCacheInvariants;
import dev.pagoda.engine.kvcache.PrefixCacheStats;
import dev.pagoda.engine.model.GenerationConfig;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.sampling.SampledTokens;
import dev.pagoda.engine.sampling.Sampler;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.SamplingRow;
import dev.pagoda.engine.sampling.StopChecker;
import dev.pagoda.engine.scheduler.ScheduledBatch;
import dev.pagoda.engine.scheduler.ScheduledSequence;
import dev.pagoda.engine.scheduler.Scheduler;
import dev.pagoda.engine.scheduler.SchedulerConfig;
import dev.pagoda.engine.sequence.Sequence;
import dev.pagoda.engine.sequence.SequenceStatus;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The engine loop (vLLM's {@code LLMEngine}; {@link #generate} is its {@code LLM.generate}).
 * One {@link #step()}:
 *
 * <pre>
 *   Scheduler.schedule()          which sequences, how many new tokens each; blocks allocated
 *   ModelRunner.executeAndSample()  ScheduledBatch → ForwardBatch → backend.forward → Logits
 *                                 → Sampler.sample(): one token per sequence that reached its end
 *                                 (or, with a backend's DeviceSampler, forward and sampling on the device)
 *   Scheduler.updateComputedTokens  the granted tokens are in the cache now
 *   scorePrompts()                prompt logprobs from the prompt rows (prompt_logprobs requests)
 *   Completion.onToken()          append, detokenize, check stop tokens / strings / length
 *   Scheduler.finish()            finished sequences free their blocks
 *   → StepOutput                  a RequestOutput per request that changed
 * </pre>
 *
 * <p>Single-threaded: call it from one thread ({@link AsyncLlmEngine} runs it on its own thread
 * for the server). The backend must have its model loaded; the engine allocates the KV cache.
 */
public final class LlmEngine {
    private static final System.Logger LOG = System.getLogger(LlmEngine.class.getName());

    private final ComputeBackend backend;
    private final ModelConfig modelConfig;
    private final GenerationConfig generationConfig;
    private final Tokenizer tokenizer;
    private final EngineConfig config;
    private final KvCacheSizing sizing;
    private final int maxModelLen;
    private final List<Integer> eosTokenIds;
    private final BlockManager blockManager;
    private final Scheduler scheduler;
    private final ModelRunner modelRunner;
    private final Sampler sampler;
    private final Map<String, Request> requests = new LinkedHashMap<>(); // unfinished, by id
    private final Map<Long, Completion> completions = new HashMap<>();   // by seqId
    private final List<Request> abortedSinceLastStep = new ArrayList<>();
    private long nextSeqId;
    private long nextArrival;
    private long numSteps;                  // steps that computed something
    private long scheduleNanos, forwardNanos, updateNanos; // their host time, summed (see StepOutput)
    private StepEventRecorder events;       // null while nobody listens: no event is built

    public LlmEngine(ComputeBackend backend, ModelConfig modelConfig, GenerationConfig generationConfig,
                     Tokenizer tokenizer, EngineConfig config) {
        this.backend = backend;
        this.modelConfig = modelConfig;
        this.generationConfig = generationConfig;
        this.tokenizer = tokenizer;
        this.config = config;
        if (config.maxModelLen() > modelConfig.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("max_model_len " + config.maxModelLen() + " exceeds the model's max_position_embeddings "
                    + modelConfig.maxPositionEmbeddings());
        }
        this.maxModelLen = config.maxModelLen() > 0 ? config.maxModelLen() : modelConfig.maxPositionEmbeddings();
        Set<Integer> eos = new LinkedHashSet<>(generationConfig.stopTokenIds(modelConfig));
        eos.addAll(tokenizer.eosTokenIds());
        this.eosTokenIds = List.copyOf(eos);

        this.sizing = KvCacheSizing.of(config.numKvBlocks(), config.kvCacheMemoryBytes(),
                backend.kvCacheBytesPerBlock(config.blockSize()), config.blockSize(), maxModelLen, config.maxNumSeqs());
        LOG.log(System.Logger.Level.INFO, sizing.describe());
        backend.allocateKvCache(sizing.numBlocks(), config.blockSize());
        backend.warmUp(config.maxNumSeqs(), maxModelLen);
        this.blockManager = new BlockManager(sizing.numBlocks(), config.blockSize());
        this.scheduler = new Scheduler(new SchedulerConfig(config.maxNumSeqs(), config.maxNumBatchedTokens(), maxModelLen), blockManager);
        this.modelRunner = new ModelRunner(backend, blockManager);
        this.sampler = new Sampler(eosTokenIds, config.seed());
    }

    public EngineConfig config() { return config; }
    public ModelConfig modelConfig() { return modelConfig; }
    public KvCacheSizing kvCacheSizing() { return sizing; }
    public int maxModelLen() { return maxModelLen; }
    public Tokenizer tokenizer() { return tokenizer; }
    public PrefixCacheStats prefixCacheStats() { return blockManager.prefixCacheStats(); }
    public long numPreemptions() { return scheduler.numPreemptions(); }
    /** Fraction of KV blocks in use, in [0, 1] (vLLM's kv_cache_usage_perc). */
    public double kvCacheUsage() { return blockManager.usage(); }
    public boolean hasUnfinishedRequests() { return !requests.isEmpty() || !abortedSinceLastStep.isEmpty(); }

    /** Tokenizes {@code prompt} (with the tokenizer's special tokens, e.g. BOS) and queues it. */
    public void addRequest(String requestId, String prompt, SamplingParams params) {
        addRequest(requestId, tokenizer.encode(prompt, true), params, 0);
    }

    /**
     * Queues a request. The model's generation_config.json defaults fill what {@code params} did not
     * set. Throws {@link IllegalArgumentException} for a request that can never be served (too long
     * for the model or the whole KV cache, bad parameters, a duplicate id).
     *
     * @param priority smaller is scheduled first; equal priorities are served in arrival order
     */
    public void addRequest(String requestId, int[] promptTokenIds, SamplingParams params, int priority) {
        if (requests.containsKey(requestId)) throw new IllegalArgumentException("request id '" + requestId + "' is already in use");
        if (promptTokenIds.length == 0) throw new IllegalArgumentException("request " + requestId + ": the prompt is empty");
        if (promptTokenIds.length >= maxModelLen) {
            throw new IllegalArgumentException("request " + requestId + ": the prompt has " + promptTokenIds.length
                    + " tokens; max_model_len is " + maxModelLen + " (room for at least one generated token is needed)");
        }
        for (int id : promptTokenIds) {
            if (id < 0 || id >= modelConfig.vocabSize()) throw new IllegalArgumentException("request " + requestId + ": prompt token id " + id + " outside the vocabulary");
        }
        SamplingParams effective = params.withDefaults(generationConfig.samplingDefaults())
                .validate(modelConfig.vocabSize(), SamplingParams.DEFAULT_MAX_LOGPROBS);
        int maxTokens = effective.effectiveMaxTokens(promptTokenIds.length, maxModelLen);
        // Without global prefix caching, a per-request salt still lets the n completions share the prompt's blocks.
        String cacheSalt = config.enablePrefixCaching() ? null : "request-" + nextArrival;
        Request request = new Request(requestId, promptTokenIds, effective);
        List<Sequence> seqs = new ArrayList<>();
        for (int i = 0; i < effective.n(); i++) {
            SamplingParams childParams = effective.n() == 1 ? effective : effective.forChild(i);
            Sequence seq = new Sequence(nextSeqId + i, requestId, i, promptTokenIds, maxTokens, nextArrival + i, priority, cacheSalt, childParams);
            Scheduler.checkFits(seq, scheduler.config(), blockManager.numBlocks(), blockManager.blockSize());
            seqs.add(seq);
        }
        nextSeqId += seqs.size();
        nextArrival += seqs.size();
        if (events != null) events.requestAdded(requestId, promptTokenIds, effective.effectiveValues(), priority);
        for (Sequence seq : seqs) {
            Completion c = new Completion(seq, tokenizer, new StopChecker(seq.samplingParams(), eosTokenIds, maxModelLen));
            request.completions.add(c);
            completions.put(seq.seqId(), c);
            scheduler.add(seq);
        }
        requests.put(requestId, request);
    }

    /**
     * Stops a request: its sequences leave the scheduler and free their blocks now; its final
     * output (finish reason {@code abort}) comes with the next {@link #step()}. Unknown or finished ids are ignored.
     */
    public void abort(String requestId) {
        Request r = requests.remove(requestId);
        if (r == null) return;
        if (events != null) events.requestAborted(requestId, r.completions.stream().filter(c -> !c.sequence.isFinished()).map(c -> c.sequence).toList());
        for (Completion c : r.completions) {
            scheduler.finish(c.sequence, SequenceStatus.FINISHED_ABORTED);
            c.onAbort();
            completions.remove(c.sequence.seqId());
        }
        abortedSinceLastStep.add(r);
    }

    /** Runs one step: schedule, forward, sample, update. Returns the requests that changed. */
    public StepOutput step() {
        List<RequestOutput> outputs = new ArrayList<>();
        for (Request r : abortedSinceLastStep) outputs.add(r.output());
        abortedSinceLastStep.clear();

        long t0 = System.nanoTime();
        if (events != null) events.beforeSchedule();
        ScheduledBatch batch = scheduler.schedule();
        if (batch.isEmpty()) {
            // With nothing running the whole pool is free, and every queued sequence fits alone (checked on add).
            if (scheduler.hasUnfinished()) throw new IllegalStateException("nothing could be scheduled although "
                    + scheduler.numWaiting() + " sequences wait: a scheduler bug");
            if (events != null && events.hasPending()) events.emit(numSteps, 0);
            return StepOutput.idle(outputs);
        }
        numSteps++;
        if (events != null) events.scheduled(batch);
        long t1 = System.nanoTime();
        ModelRunner.SampledStep sampledStep = modelRunner.executeAndSample(batch, sampler); // on the device where the backend can
        ModelRunner.Output out = sampledStep.output();
        long t2 = System.nanoTime();
        scheduler.updateComputedTokens(batch);

        List<SamplingRow> rows = sampledStep.rows();
        SampledTokens sampled = sampledStep.sampled();
        scorePrompts(out);

        Set<Request> changed = LinkedHashSet.newLinkedHashSet(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            Sequence seq = out.samplingSequences().get(i).sequence();
            Completion c = completions.get(seq.seqId());
            int tokenId = sampled.tokenIds()[i];
            seq.appendTokenId(tokenId);
            SequenceStatus finished = c.onToken(tokenId, sampled.logprobs()[i]);
            if (finished != null) {
                if (events != null) events.finished(seq, finished);
                scheduler.finish(seq, finished);
                completions.remove(seq.seqId());
            }
            changed.add(requests.get(seq.requestId()));
        }
        for (Request r : changed) {
            if (!r.dueForOutput(config.streamInterval())) continue; // its tokens wait for the next output (--stream-interval)
            outputs.add(r.output());
            if (r.finished()) requests.remove(r.requestId);
        }
        long t3 = System.nanoTime();
        scheduleNanos += t1 - t0;
        forwardNanos += t2 - t1;
        updateNanos += t3 - t2;
        if (events != null) events.emit(numSteps, batch.numBatchedTokens());
        return new StepOutput(outputs, batch.scheduled().size(), batch.numBatchedTokens(), batch.preempted().size(),
                t1 - t0, t2 - t1, t3 - t2);
    }

    /**
     * Fills the requests' prompt logprobs from this step's prompt-logprob rows. A position already
     * filled (a chunk recomputed after preemption) is kept: the recomputation gives the same logits.
     * The request reports them with its first sampled token (the last prompt chunk samples), as vLLM.
     */
    private void scorePrompts(ModelRunner.Output out) {
        for (ModelRunner.PromptLogprobRows run : out.promptLogprobRows()) {
            Sequence seq = run.sequence();
            Request r = requests.get(seq.requestId());
            int numLogprobs = seq.samplingParams().promptLogprobs().getAsInt();
            int[] prompt = r.promptTokenIds;
            for (int j = 0; j < run.numRows(); j++) {
                int next = run.firstPosition() + j + 1; // the prompt token this row scores
                if (r.promptLogprobs[next] == null) {
                    r.promptLogprobs[next] = Sampler.promptLogprobs(out.logits(), run.firstLogitsRow() + j, prompt[next], numLogprobs);
                }
            }
        }
    }

    /**
     * The offline batch API: runs every prompt to completion and returns the final outputs in
     * prompt order, like vLLM's {@code LLM.generate}. {@code params} has one entry for all prompts
     * or one per prompt.
     */
    public List<RequestOutput> generate(List<int[]> promptTokenIds, List<SamplingParams> params) {
        if (params.size() != 1 && params.size() != promptTokenIds.size()) {
            throw new IllegalArgumentException("give one SamplingParams for all prompts or one per prompt; got "
                    + params.size() + " for " + promptTokenIds.size() + " prompts");
        }
        if (hasUnfinishedRequests()) throw new IllegalStateException("generate needs an idle engine");
        List<String> ids = new ArrayList<>();
        try {
            for (int i = 0; i < promptTokenIds.size(); i++) {
                String id = "generate-" + nextArrival + "-" + i;
                addRequest(id, promptTokenIds.get(i), params.get(params.size() == 1 ? 0 : i), 0);
                ids.add(id);
            }
        } catch (RuntimeException e) { // one bad prompt: withdraw the ones already queued, leave the engine idle
            ids.forEach(this::abort);
            step();
            throw e;
        }
        Map<String, RequestOutput> finals = new HashMap<>();
        while (hasUnfinishedRequests()) {
            for (RequestOutput o : step().outputs()) if (o.finished()) finals.put(o.requestId(), o);
        }
        List<RequestOutput> ordered = new ArrayList<>(ids.size());
        for (String id : ids) ordered.add(finals.get(id));
        return ordered;
    }

    /** {@link #generate(List, List)} for text prompts. */
    public List<RequestOutput> generateText(List<String> prompts, List<SamplingParams> params) {
        List<int[]> ids = new ArrayList<>();
        for (String p : prompts) ids.add(tokenizer.encode(p, true));
        return generate(ids, params);
    }

    /** Checks the KV block bookkeeping ({@link KvCacheInvariants}); tests call it after every step. */
    public void checkInvariants() {
        KvCacheInvariants.check(blockManager, scheduler.unfinished());
    }

    /**
     * Registers a listener told about every step from now on (engine thread only; {@link AsyncLlmEngine}
     * has a thread-safe form). The first listener turns event building on, removing the last turns it off.
     */
    public void addStepListener(EngineStepListener listener) {
        if (events == null) events = new StepEventRecorder(scheduler);
        events.listeners.add(listener);
    }

    public void removeStepListener(EngineStepListener listener) {
        if (events == null) return;
        events.listeners.remove(listener);
        if (events.listeners.isEmpty()) events = null;
    }

    /** The block pool, block tables and counters now, as a state-only event (a new observer's first picture). */
    public EngineStepEvent snapshot() {
        return new StepEventRecorder(scheduler).snapshot(numSteps);
    }

    /** Steps that computed something since start. */
    public long numSteps() { return numSteps; }

    /**
     * Host time of those steps since start, summed per phase, in ns: {schedule, forward (with
     * sampling; on a GPU, queuing the work and waiting for it), update (tokens, text, outputs)}.
     */
    public long[] stepNanos() { return new long[] {scheduleNanos, forwardNanos, updateNanos}; }

    /** Running and waiting sequence counts (for logs and tests). */
    public int numRunning() { return scheduler.numRunning(); }
    public int numWaiting() { return scheduler.numWaiting(); }
    ComputeBackend backend() { return backend; }
}
