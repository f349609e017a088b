package dev.pagoda.engine.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.events.BlockState;
import dev.pagoda.engine.events.EngineEventJson;
import dev.pagoda.engine.events.EngineInput;
import dev.pagoda.engine.events.EngineStepEvent;
import dev.pagoda.engine.events.KvCacheSnapshot;
import dev.pagoda.engine.events.SchedulerDecision;
import dev.pagoda.engine.events.SchedulerDecision.Kind;
import dev.pagoda.engine.events.SequenceBlocks;
import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The engine's step events on tiny pools, with exact block ids (the free queue hands out 0, 1, 2, … at start). */
class StepEventsTest {
    private static LoadedModel model;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() {
        model = ModelLoader.load(Fixtures.stories260k(), LoadFormat.SAFETENSORS);
        tokenizer = Tokenizer.fromDirectory(Fixtures.stories260k());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static LlmEngine engine(EngineConfig config) {
        return new LlmEngine(new FakeBackend(model.config().vocabSize()), model.config(), model.generationConfig(), tokenizer, config);
    }

    private static SamplingParams greedy(int maxTokens) {
        return SamplingParams.builder().temperature(0).maxTokens(maxTokens).ignoreEos(true).build();
    }

    private static int[] range(int from, int to) {
        int[] a = new int[to - from];
        for (int i = 0; i < a.length; i++) a[i] = from + i;
        return a;
    }

    private static List<Kind> kinds(EngineStepEvent e) {
        return e.decisions().stream().map(SchedulerDecision::kind).toList();
    }

    private static SequenceBlocks seq(KvCacheSnapshot kv, String requestId) {
        return kv.sequences().stream().filter(s -> s.requestId().equals(requestId)).findFirst().orElseThrow();
    }

    @Test
    void chunkedPrefillThenAPrefixHitSharesBlocks() {
        // 6 blocks of 4 tokens, 8 tokens a step: A's 10-token prompt is chunked 8 + 2.
        LlmEngine e = engine(EngineConfig.defaults().withBlockSize(4).withNumKvBlocks(6).withMaxNumBatchedTokens(8));
        List<EngineStepEvent> events = new ArrayList<>();
        e.addStepListener(events::add);

        int[] a = range(10, 20);
        e.addRequest("A", a, greedy(2), 0);
        e.step();
        EngineStepEvent s1 = events.getLast();
        assertEquals(1, s1.step());
        assertEquals(List.of(new EngineInput.RequestAdded("A", List.of(10, 11, 12, 13, 14, 15, 16, 17, 18, 19),
                ((EngineInput.RequestAdded) s1.inputs().getFirst()).samplingParams(), 0)), s1.inputs());
        SchedulerDecision admitA = s1.decisions().getFirst();
        assertEquals(Kind.ADMITTED, admitA.kind());
        assertEquals(8, admitA.numNewTokens());
        assertTrue(admitA.chunked());
        assertTrue(admitA.reason().contains("only 8 of its 10 uncomputed tokens fit the token budget left 8 of 8"), admitA.reason());
        assertEquals(List.of(0, 1), seq(s1.kvCache(), "A").blockIds());
        // Blocks 0 and 1 will be full after this step, so they are registered in the prefix cache already.
        assertEquals(BlockState.Kind.OWNED, s1.kvCache().block(0).kind());
        assertTrue(s1.kvCache().block(0).blockHash() != null);

        // B shares A's first 8 tokens: a prefix-cache hit of 2 blocks.
        int[] b = new int[] {10, 11, 12, 13, 14, 15, 16, 17, 30, 31};
        e.addRequest("B", b, greedy(2), 0);
        e.step();
        EngineStepEvent s2 = events.getLast();
        assertEquals(List.of(Kind.PREFILL, Kind.ADMITTED), kinds(s2));
        SchedulerDecision prefillA = s2.decisions().get(0), admitB = s2.decisions().get(1);
        assertEquals(2, prefillA.numNewTokens());
        assertFalse(prefillA.chunked());
        assertEquals(8, admitB.numCachedTokens());
        assertEquals(8, admitB.numComputedTokens());
        assertEquals(2, admitB.numNewTokens());
        assertTrue(admitB.reason().contains("prefix-cache hit of 2 blocks (8 tokens)"), admitB.reason());

        KvCacheSnapshot kv = s2.kvCache();
        assertEquals(List.of(0, 1, 2), seq(kv, "A").blockIds());
        assertEquals(List.of(0, 1, 3), seq(kv, "B").blockIds());
        assertEquals(BlockState.Kind.SHARED, kv.block(0).kind());
        assertEquals(BlockState.Kind.SHARED, kv.block(1).kind());
        assertEquals(List.of(seq(kv, "A").seqId(), seq(kv, "B").seqId()), kv.block(1).ownerSeqIds());
        assertEquals(BlockState.Kind.OWNED, kv.block(2).kind());
        assertEquals(BlockState.Kind.OWNED, kv.block(3).kind());
        assertEquals(BlockState.Kind.FREE, kv.block(4).kind());
        assertEquals(2, kv.numFreeBlocks());
        assertEquals(2, kv.count(BlockState.Kind.FREE));
        assertEquals(8, s2.stats().prefixCacheHits());

        while (e.hasUnfinishedRequests()) e.step();
        EngineStepEvent last = events.getLast();
        assertEquals(2, last.decisions().stream().filter(d -> d.kind() == Kind.FINISHED).count(), last.decisions().toString());
        assertTrue(last.kvCache().sequences().isEmpty());
        // Everything is free again, but the full blocks keep their hashes: cached, not free.
        assertEquals(6, last.kvCache().numFreeBlocks());
        assertEquals(BlockState.Kind.CACHED, last.kvCache().block(0).kind());
        assertEquals(BlockState.Kind.CACHED, last.kvCache().block(1).kind());
    }

    @Test
    void preemptionWhenThePoolRunsOutAndAbort() {
        // 4 blocks of 2 tokens: two 3-token prompts take 2 blocks each; the first decode that needs a 3rd block preempts.
        LlmEngine e = engine(EngineConfig.defaults().withBlockSize(2).withNumKvBlocks(4));
        List<EngineStepEvent> events = new ArrayList<>();
        e.addStepListener(events::add);
        e.addRequest("A", range(5, 8), greedy(4), 0);
        e.addRequest("B", range(20, 23), greedy(4), 0);
        e.step();
        assertEquals(List.of(Kind.ADMITTED, Kind.ADMITTED), kinds(events.getLast()));
        assertEquals(List.of(0, 1), seq(events.getLast().kvCache(), "A").blockIds());
        assertEquals(List.of(2, 3), seq(events.getLast().kvCache(), "B").blockIds());
        e.step(); // both decode in their second block
        assertEquals(List.of(Kind.DECODE, Kind.DECODE), kinds(events.getLast()));
        e.step(); // A needs a third block: B, the newest, is preempted
        EngineStepEvent s3 = events.getLast();
        assertEquals(List.of(Kind.DECODE, Kind.PREEMPTED, Kind.WAITING), kinds(s3), s3.decisions().toString());
        assertTrue(s3.decisions().get(1).reason().startsWith("preempted (recompute): no free KV block"), s3.decisions().get(1).reason());
        assertTrue(s3.decisions().get(2).reason().contains("this step had to preempt"), s3.decisions().get(2).reason());
        // B's blocks went back last-first (3, then 2) to the back of the free queue; A took the front one.
        assertEquals(List.of(0, 1, 3), seq(s3.kvCache(), "A").blockIds());
        assertEquals("preempted", seq(s3.kvCache(), "B").status());
        assertEquals(List.of(), seq(s3.kvCache(), "B").blockIds());
        assertEquals(BlockState.Kind.CACHED, s3.kvCache().block(2).kind());
        assertEquals(1, s3.stats().numPreemptions());

        e.abort("A");
        e.step();
        EngineStepEvent s4 = events.getLast();
        assertEquals(new EngineInput.RequestAborted("A"), s4.inputs().getFirst());
        SchedulerDecision readmit = s4.decisions().getFirst();
        assertEquals(Kind.ADMITTED, readmit.kind());
        assertTrue(readmit.reason().startsWith("re-admitted after preemption"), readmit.reason());
        assertEquals(Kind.ABORTED, s4.decisions().getLast().kind());
    }

    @Test
    void noListenerNoEventsAndJsonRoundTrip() {
        LlmEngine e = engine(EngineConfig.defaults().withBlockSize(4).withNumKvBlocks(8));
        List<EngineStepEvent> events = new ArrayList<>();
        e.addStepListener(events::add);
        e.addRequest("A", range(10, 15), greedy(1), 0);
        e.step();
        e.removeStepListener(events::add); // a different lambda instance: still registered
        EngineStepEvent one = events.getFirst();
        Map<String, Object> json = Json.parseObject(Json.write(EngineEventJson.toJson(one, true)));
        // Numbers come back as the reader's types, so compare what they write.
        EngineStepEvent reread = new EngineStepEvent(one.step(), false, EngineEventJson.inputs(json), one.decisions(), one.stats(), one.kvCache());
        assertEquals(Json.write(EngineEventJson.toJson(one, true)), Json.write(EngineEventJson.toJson(reread, true)));
        List<SchedulerDecision> back = EngineEventJson.decisions(json);
        assertEquals(one.decisions().size(), back.size());
        for (int i = 0; i < back.size(); i++) assertTrue(back.get(i).sameDecision(one.decisions().get(i)));
        assertEquals("cached", ((Map<?, ?>) ((List<?>) ((Map<?, ?>) json.get("kv_cache")).get("blocks")).getFirst()).get("state"));

        LlmEngine quiet = engine(EngineConfig.defaults().withBlockSize(4).withNumKvBlocks(8));
        var listener = (dev.pagoda.engine.events.EngineStepListener) events::add;
        quiet.addStepListener(listener);
        quiet.removeStepListener(listener);
        int before = events.size();
        quiet.addRequest("B", range(10, 15), greedy(1), 0);
        while (quiet.hasUnfinishedRequests()) quiet.step();
        assertEquals(before, events.size());
        assertEquals(1, quiet.snapshot().kvCache().count(BlockState.Kind.CACHED));
    }
}
