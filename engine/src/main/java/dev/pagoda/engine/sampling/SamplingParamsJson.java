package dev.pagoda.engine.sampling;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the sampling fields of a parsed JSON request body ({@code dev.pagoda.engine.json.Json}
 * values: Long, Double, String, Boolean, List, Map, null) into {@link SamplingParams}, the way
 * vLLM's OpenAI layer does: {@code null} = not set, {@code stop} as a string or a list,
 * {@code logit_bias} keys as strings, {@code logprobs: true} = 1 and {@code false} = none.
 */
final class SamplingParamsJson {
    private SamplingParamsJson() {}

    static SamplingParams parse(Map<String, Object> body) {
        SamplingParams.Builder b = SamplingParams.builder();
        for (String key : SamplingParams.FIELD_NAMES) {
            Object v = body.get(key);
            if (v == null || (v.equals(Boolean.FALSE) && (key.equals("logprobs") || key.equals("prompt_logprobs")))) continue;
            switch (key) {
                case "n" -> b.n(integer(key, v));
                case "temperature" -> b.temperature(number(key, v));
                case "top_p" -> b.topP(number(key, v));
                case "top_k" -> b.topK(integer(key, v));
                case "min_p" -> b.minP(number(key, v));
                case "presence_penalty" -> b.presencePenalty(number(key, v));
                case "frequency_penalty" -> b.frequencyPenalty(number(key, v));
                case "repetition_penalty" -> b.repetitionPenalty(number(key, v));
                case "logit_bias" -> b.logitBias(logitBias(v));
                case "seed" -> b.seed(longValue(key, v));
                case "stop" -> b.stop(v instanceof String s ? List.of(s) : strings(key, v));
                case "stop_token_ids" -> b.stopTokenIds(integers(key, v));
                case "include_stop_str_in_output" -> b.includeStopStrInOutput(bool(key, v));
                case "ignore_eos" -> b.ignoreEos(bool(key, v));
                case "min_tokens" -> b.minTokens(integer(key, v));
                case "max_tokens" -> b.maxTokens(integer(key, v));
                case "logprobs" -> b.logprobs(v instanceof Boolean ? 1 : integer(key, v));
                case "prompt_logprobs" -> b.promptLogprobs(v instanceof Boolean ? 1 : integer(key, v));
                case "logprobs_mode" -> b.logprobsMode(LogprobsMode.fromVllmName(string(key, v)));
                case "skip_special_tokens" -> b.skipSpecialTokens(bool(key, v));
                case "spaces_between_special_tokens" -> b.spacesBetweenSpecialTokens(bool(key, v));
                default -> throw new IllegalStateException("unhandled sampling field " + key);
            }
        }
        return b.build();
    }

    private static double number(String key, Object v) {
        if (v instanceof Number num) return num.doubleValue();
        throw bad(key, "a number", v);
    }

    private static long longValue(String key, Object v) {
        if (v instanceof Long l) return l;
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p63) return d.longValue();
        throw bad(key, "an integer", v);
    }

    private static int integer(String key, Object v) {
        long l = longValue(key, v);
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) throw bad(key, "a 32-bit integer", v);
        return (int) l;
    }

    private static boolean bool(String key, Object v) {
        if (v instanceof Boolean flag) return flag;
        throw bad(key, "true or false", v);
    }

    private static String string(String key, Object v) {
        if (v instanceof String s) return s;
        throw bad(key, "a string", v);
    }

    private static List<String> strings(String key, Object v) {
        if (!(v instanceof List<?> list)) throw bad(key, "a string or a list of strings", v);
        List<String> out = new ArrayList<>();
        for (Object o : list) out.add(string(key, o));
        return out;
    }

    private static List<Integer> integers(String key, Object v) {
        if (!(v instanceof List<?> list)) throw bad(key, "a list of integers", v);
        List<Integer> out = new ArrayList<>();
        for (Object o : list) out.add(integer(key, o));
        return out;
    }

    private static Map<Integer, Double> logitBias(Object v) {
        if (!(v instanceof Map<?, ?> map)) throw bad("logit_bias", "an object of token id → bias", v);
        Map<Integer, Double> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            int id;
            try {
                id = Integer.parseInt(String.valueOf(e.getKey()).trim());
            } catch (NumberFormatException ex) {
                throw new SamplingParamsException("logit_bias",
                        "logit_bias contains key(s) that cannot be converted to integer token IDs: ['" + e.getKey() + "']");
            }
            out.put(id, number("logit_bias", e.getValue()));
        }
        return out;
    }

    private static SamplingParamsException bad(String key, String expected, Object v) {
        return new SamplingParamsException(key, key + " must be " + expected + ", got " + v + ".");
    }
}
