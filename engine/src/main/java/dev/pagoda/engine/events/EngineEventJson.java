package dev.pagoda.engine.events;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link EngineStepEvent}s as JSON objects (the live view's stream and the trace file's step records),
 * and back for the parts a replay needs: the inputs and the decisions. Field names are vLLM's, in
 * snake_case. The reader names the field and the problem when a record is malformed.
 */
public final class EngineEventJson {
    private EngineEventJson() {}

    /**
     * @param withBlocks include the per-block list (the live view); a trace leaves it out and keeps
     *                   the block tables, which determine the owned and shared blocks
     */
    public static Map<String, Object> toJson(EngineStepEvent e, boolean withBlocks) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", e.step());
        if (e.snapshot()) m.put("snapshot", true);
        List<Object> inputs = new ArrayList<>();
        for (EngineInput in : e.inputs()) inputs.add(input(in));
        m.put("inputs", inputs);
        List<Object> decisions = new ArrayList<>();
        for (SchedulerDecision d : e.decisions()) decisions.add(decision(d));
        m.put("decisions", decisions);
        SchedulerStats s = e.stats();
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("num_running_reqs", s.numRunningReqs());
        stats.put("num_waiting_reqs", s.numWaitingReqs());
        stats.put("num_batched_tokens", s.numBatchedTokens());
        stats.put("max_num_batched_tokens", s.maxNumBatchedTokens());
        stats.put("max_num_seqs", s.maxNumSeqs());
        stats.put("kv_cache_usage", s.kvCacheUsage());
        stats.put("prefix_cache_queries", s.prefixCacheQueries());
        stats.put("prefix_cache_hits", s.prefixCacheHits());
        stats.put("num_preemptions", s.numPreemptions());
        m.put("stats", stats);
        KvCacheSnapshot kv = e.kvCache();
        Map<String, Object> cache = new LinkedHashMap<>();
        cache.put("block_size", kv.blockSize());
        cache.put("num_blocks", kv.numBlocks());
        cache.put("num_free_blocks", kv.numFreeBlocks());
        if (withBlocks) {
            List<Object> blocks = new ArrayList<>();
            for (BlockState b : kv.blocks()) {
                Map<String, Object> bm = new LinkedHashMap<>();
                bm.put("id", b.blockId());
                bm.put("state", b.kind().wireName());
                bm.put("ref_cnt", b.refCount());
                bm.put("hash", b.blockHash());
                bm.put("owners", b.ownerSeqIds());
                blocks.add(bm);
            }
            cache.put("blocks", blocks);
        }
        List<Object> seqs = new ArrayList<>();
        for (SequenceBlocks sb : kv.sequences()) {
            Map<String, Object> sm = new LinkedHashMap<>();
            sm.put("request_id", sb.requestId());
            sm.put("index", sb.seqIndex());
            sm.put("seq_id", sb.seqId());
            sm.put("status", sb.status());
            sm.put("num_tokens", sb.numTokens());
            sm.put("num_computed_tokens", sb.numComputedTokens());
            sm.put("block_table", sb.blockIds());
            seqs.add(sm);
        }
        cache.put("sequences", seqs);
        m.put("kv_cache", cache);
        return m;
    }

    private static Map<String, Object> input(EngineInput in) {
        Map<String, Object> m = new LinkedHashMap<>();
        switch (in) {
            case EngineInput.RequestAdded a -> {
                m.put("type", "add");
                m.put("request_id", a.requestId());
                m.put("prompt_token_ids", a.promptTokenIds());
                m.put("sampling_params", a.samplingParams());
                m.put("priority", a.priority());
            }
            case EngineInput.RequestAborted a -> {
                m.put("type", "abort");
                m.put("request_id", a.requestId());
            }
        }
        return m;
    }

    private static Map<String, Object> decision(SchedulerDecision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", d.kind().wireName());
        m.put("request_id", d.requestId());
        m.put("index", d.seqIndex());
        m.put("seq_id", d.seqId());
        m.put("num_computed_tokens", d.numComputedTokens());
        m.put("num_new_tokens", d.numNewTokens());
        m.put("num_cached_tokens", d.numCachedTokens());
        m.put("chunked", d.chunked());
        m.put("reason", d.reason());
        return m;
    }

    /** The inputs of a step record written by {@link #toJson}. */
    public static List<EngineInput> inputs(Map<String, Object> record) {
        List<EngineInput> out = new ArrayList<>();
        List<?> list = list(record, "inputs");
        for (int i = 0; i < list.size(); i++) {
            Map<String, Object> m = object(list.get(i), "inputs[" + i + "]");
            String where = "inputs[" + i + "]";
            String type = string(m, "type", where);
            String id = string(m, "request_id", where);
            switch (type) {
                case "add" -> {
                    List<Integer> ids = new ArrayList<>();
                    for (Object o : list(m, "prompt_token_ids", where)) {
                        if (!(o instanceof Number n)) throw new IllegalArgumentException(where + ".prompt_token_ids: expected integers, got " + o);
                        ids.add(n.intValue());
                    }
                    out.add(new EngineInput.RequestAdded(id, ids, object(m.get("sampling_params"), where + ".sampling_params"),
                            integer(m, "priority", where)));
                }
                case "abort" -> out.add(new EngineInput.RequestAborted(id));
                default -> throw new IllegalArgumentException(where + ".type: expected \"add\" or \"abort\", got \"" + type + "\"");
            }
        }
        return out;
    }

    /** The decisions of a step record written by {@link #toJson}. */
    public static List<SchedulerDecision> decisions(Map<String, Object> record) {
        List<SchedulerDecision> out = new ArrayList<>();
        List<?> list = list(record, "decisions");
        for (int i = 0; i < list.size(); i++) {
            String where = "decisions[" + i + "]";
            Map<String, Object> m = object(list.get(i), where);
            SchedulerDecision.Kind kind;
            try {
                kind = SchedulerDecision.Kind.fromWireName(string(m, "kind", where));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ".kind: " + e.getMessage());
            }
            if (!(m.get("chunked") instanceof Boolean chunked)) throw new IllegalArgumentException(where + ".chunked: expected true or false");
            out.add(new SchedulerDecision(kind, string(m, "request_id", where), integer(m, "index", where),
                    integer(m, "seq_id", where), integer(m, "num_computed_tokens", where), integer(m, "num_new_tokens", where),
                    integer(m, "num_cached_tokens", where), chunked, string(m, "reason", where)));
        }
        return out;
    }

    /** {@code request_id#index → block table} from a record's {@code kv_cache.sequences}. */
    public static Map<String, List<Integer>> blockTables(Map<String, Object> record) {
        Map<String, Object> cache = object(record.get("kv_cache"), "kv_cache");
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        List<?> seqs = list(cache, "sequences", "kv_cache");
        for (int i = 0; i < seqs.size(); i++) {
            String where = "kv_cache.sequences[" + i + "]";
            Map<String, Object> s = object(seqs.get(i), where);
            List<Integer> table = new ArrayList<>();
            for (Object o : list(s, "block_table", where)) {
                if (!(o instanceof Number n)) throw new IllegalArgumentException(where + ".block_table: expected integers, got " + o);
                table.add(n.intValue());
            }
            out.put(string(s, "request_id", where) + "#" + integer(s, "index", where), table);
        }
        return out;
    }

    /** The same map for a live event. */
    public static Map<String, List<Integer>> blockTables(EngineStepEvent e) {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        for (SequenceBlocks s : e.kvCache().sequences()) out.put(s.requestId() + "#" + s.seqIndex(), s.blockIds());
        return out;
    }

    private static List<?> list(Map<String, Object> m, String key) {
        return list(m, key, "record");
    }

    private static List<?> list(Map<String, Object> m, String key, String where) {
        if (!(m.get(key) instanceof List<?> l)) throw new IllegalArgumentException(where + "." + key + ": expected a list, got " + m.get(key));
        return l;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o, String where) {
        if (!(o instanceof Map<?, ?> m)) throw new IllegalArgumentException(where + ": expected an object, got " + o);
        return (Map<String, Object>) m;
    }

    private static String string(Map<String, Object> m, String key, String where) {
        if (!(m.get(key) instanceof String s)) throw new IllegalArgumentException(where + "." + key + ": expected a string, got " + m.get(key));
        return s;
    }

    private static int integer(Map<String, Object> m, String key, String where) {
        if (!(m.get(key) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new IllegalArgumentException(where + "." + key + ": expected an integer, got " + m.get(key));
        }
        return n.intValue();
    }
}
