package dev.pagoda.cli;

import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.events.EngineEventJson;
import dev.pagoda.engine.events.EngineInput;
import dev.pagoda.engine.events.EngineStepEvent;
import dev.pagoda.engine.events.SchedulerDecision;
import dev.pagoda.engine.events.TraceFile;
import dev.pagoda.engine.sampling.SamplingParams;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Feeds a recorded trace's requests to an engine at the steps they arrived, runs the same steps,
 * and checks that the engine decides what the trace says (same admissions, chunks, preemptions,
 * finishes, same block tables); prints each step and, with {@code explain}, why.
 */
final class TraceReplay {
    /** How a replay ended: {@code divergence} is null when every step matched. */
    record Result(int stepsReplayed, String divergence) {}

    private final LlmEngine engine;
    private final List<EngineStepEvent> events = new ArrayList<>();

    TraceReplay(LlmEngine engine) {
        this.engine = engine;
        engine.addStepListener(events::add);
    }

    /** @param onlyStep print only this step (all steps are still replayed and checked up to it); null: all */
    Result run(TraceFile trace, PrintStream out, boolean explain, Long onlyStep) {
        int replayed = 0;
        for (TraceFile.Step st : trace.steps()) {
            if (onlyStep != null && st.step() > onlyStep) break;
            String where = "step " + st.step() + " (" + trace.file().getFileName() + " line " + st.line() + ")";
            for (EngineInput in : st.inputs()) {
                switch (in) {
                    case EngineInput.RequestAdded a -> {
                        try {
                            int[] ids = a.promptTokenIds().stream().mapToInt(Integer::intValue).toArray();
                            engine.addRequest(a.requestId(), ids, SamplingParams.fromJson(a.samplingParams()), a.priority());
                        } catch (IllegalArgumentException e) {
                            return new Result(replayed, where + ": the engine rejected request " + a.requestId() + ": " + e.getMessage());
                        }
                    }
                    case EngineInput.RequestAborted a -> engine.abort(a.requestId());
                }
            }
            events.clear();
            engine.step();
            if (events.isEmpty()) return new Result(replayed, where + ": the trace records a step, the engine had nothing to do");
            EngineStepEvent got = events.getLast();
            String diff = compare(st, got);
            boolean show = onlyStep == null || st.step() == onlyStep;
            if (show) print(st, out, explain);
            if (diff != null) return new Result(replayed, where + ": " + diff);
            replayed++;
        }
        return new Result(replayed, null);
    }

    /** The first difference between the recorded step and the replayed one, or null. */
    private static String compare(TraceFile.Step recorded, EngineStepEvent replayed) {
        if (recorded.step() != replayed.step()) return "recorded step number " + recorded.step() + ", the engine is at step " + replayed.step();
        List<SchedulerDecision> want = recorded.decisions(), got = replayed.decisions();
        for (int i = 0; i < Math.max(want.size(), got.size()); i++) {
            String w = i < want.size() ? want.get(i).summary() : "nothing";
            String g = i < got.size() ? got.get(i).summary() : "nothing";
            if (i >= want.size() || i >= got.size() || !want.get(i).sameDecision(got.get(i))) {
                return "decision " + (i + 1) + " differs: recorded '" + w + "', replayed '" + g + "'";
            }
        }
        Map<String, List<Integer>> wantTables = recorded.blockTables(), gotTables = EngineEventJson.blockTables(replayed);
        if (!wantTables.equals(gotTables)) return "block tables differ: recorded " + wantTables + ", replayed " + gotTables;
        return null;
    }

    private static void print(TraceFile.Step st, PrintStream out, boolean explain) {
        Map<?, ?> stats = (Map<?, ?>) st.record().get("stats");
        Map<?, ?> kv = (Map<?, ?>) st.record().get("kv_cache");
        long blocks = num(kv, "num_blocks"), free = num(kv, "num_free_blocks");
        out.printf("step %d: batched %d of %d tokens, %d running, %d waiting, KV blocks %d of %d in use, prefix cache %d of %d tokens hit%n",
                st.step(), num(stats, "num_batched_tokens"), num(stats, "max_num_batched_tokens"), num(stats, "num_running_reqs"),
                num(stats, "num_waiting_reqs"), blocks - free, blocks, num(stats, "prefix_cache_hits"), num(stats, "prefix_cache_queries"));
        for (EngineInput in : st.inputs()) {
            switch (in) {
                case EngineInput.RequestAdded a -> out.println("  + request " + a.requestId() + " arrives (" + a.promptTokenIds().size() + " prompt tokens)");
                case EngineInput.RequestAborted a -> out.println("  - request " + a.requestId() + " aborted by its client");
            }
        }
        for (SchedulerDecision d : st.decisions()) {
            out.println("  " + d.summary());
            if (explain) out.println("      why: " + d.reason());
        }
        if (explain && !st.blockTables().isEmpty()) {
            StringBuilder sb = new StringBuilder("  block tables:");
            st.blockTables().forEach((seq, table) -> sb.append(' ').append(seq).append(' ').append(table));
            out.println(sb);
        }
    }

    private static long num(Map<?, ?> m, String key) {
        return m != null && m.get(key) instanceof Number n ? n.longValue() : 0;
    }
}
