package dev.pagoda.engine.sampling;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/** vLLM's {@code SamplingParams._verify_args} and the processor's model checks, with vLLM's messages. */
final class SamplingParamsChecks {
    private SamplingParamsChecks() {}

    static void verify(int n, double temperature, double topP, int topK, double minP, double presencePenalty,
            double frequencyPenalty, double repetitionPenalty, List<String> stop, List<Integer> stopTokenIds,
            int minTokens, OptionalInt maxTokens, OptionalInt logprobs, OptionalInt promptLogprobs) {
        if (n < 1) throw fail("n", "n must be at least 1, got " + n + ".");
        if (!(presencePenalty >= -2.0 && presencePenalty <= 2.0)) {
            throw fail("presence_penalty", "presence_penalty must be in [-2, 2], got " + presencePenalty + ".");
        }
        if (!(frequencyPenalty >= -2.0 && frequencyPenalty <= 2.0)) {
            throw fail("frequency_penalty", "frequency_penalty must be in [-2, 2], got " + frequencyPenalty + ".");
        }
        if (!Double.isFinite(repetitionPenalty)) {
            throw fail("repetition_penalty", "repetition_penalty must be a finite number, got " + repetitionPenalty + ".");
        }
        if (repetitionPenalty <= 0.0) {
            throw fail("repetition_penalty", "repetition_penalty must be greater than zero, got " + repetitionPenalty + ".");
        }
        if (!Double.isFinite(temperature)) throw fail("temperature", "temperature must be a finite number, got " + temperature + ".");
        if (temperature < 0.0) throw fail("temperature", "temperature must be non-negative, got " + temperature + ".");
        if (temperature > 2.0) throw fail("temperature", "temperature must be in [0, 2], got " + temperature + ".");
        if (!(topP > 0.0 && topP <= 1.0)) throw fail("top_p", "top_p must be in (0, 1], got " + topP + ".");
        if (topK < -1) throw fail("top_k", "top_k must be 0 (disable), or at least 1, got " + topK + ".");
        if (!(minP >= 0.0 && minP <= 1.0)) throw fail("min_p", "min_p must be in [0, 1], got " + minP + ".");
        if (maxTokens.isPresent() && maxTokens.getAsInt() < 1) {
            throw fail("max_tokens", "max_tokens must be at least 1, got " + maxTokens.getAsInt() + ".");
        }
        if (minTokens < 0) throw fail("min_tokens", "min_tokens must be greater than or equal to 0, got " + minTokens + ".");
        if (maxTokens.isPresent() && minTokens > maxTokens.getAsInt()) {
            throw fail("min_tokens", "min_tokens must be less than or equal to max_tokens=" + maxTokens.getAsInt() + ", got " + minTokens + ".");
        }
        if (logprobs.isPresent() && logprobs.getAsInt() < -1) {
            throw fail("logprobs", "logprobs must be non-negative or -1, got " + logprobs.getAsInt() + ".");
        }
        if (promptLogprobs.isPresent() && promptLogprobs.getAsInt() < -1) {
            throw fail("prompt_logprobs", "prompt_logprobs must be non-negative or -1, got " + promptLogprobs.getAsInt() + ".");
        }
        for (String s : stop) {
            if (s == null || s.isEmpty()) throw fail("stop", "stop cannot contain an empty string.");
        }
        for (Integer id : stopTokenIds) {
            if (id == null || id < 0) throw fail("stop_token_ids", "stop_token_ids must contain only non-negative integers, got " + stopTokenIds + ".");
        }
    }

    /** OpenAI/vLLM clamp bias values to [-100, 100]; NaN has no meaning and is refused. */
    static Map<Integer, Float> clampLogitBias(Map<Integer, Float> bias) {
        Map<Integer, Float> out = new LinkedHashMap<>();
        for (Map.Entry<Integer, Float> e : bias.entrySet()) {
            if (e.getKey() == null) throw fail("logit_bias", "logit_bias contains a null token id.");
            float v = e.getValue();
            if (Float.isNaN(v)) throw fail("logit_bias", "logit_bias value for token " + e.getKey() + " is NaN.");
            out.put(e.getKey(), Math.max(-SamplingParams.MAX_LOGIT_BIAS, Math.min(SamplingParams.MAX_LOGIT_BIAS, v)));
        }
        return Collections.unmodifiableMap(out);
    }

    static void validateForModel(SamplingParams p, int vocabSize, int maxLogprobs) {
        if (vocabSize < 1) throw new IllegalArgumentException("vocabSize must be >= 1, got " + vocabSize);
        if (p.logprobs().isPresent()) {
            int num = p.logprobs().getAsInt() == -1 ? vocabSize : p.logprobs().getAsInt();
            if (maxLogprobs != -1 && num > maxLogprobs) {
                throw fail("logprobs", "Requested sample logprobs of " + num + ", which is greater than max allowed: " + maxLogprobs);
            }
        }
        if (p.promptLogprobs().isPresent()) {
            int num = p.promptLogprobs().getAsInt() == -1 ? vocabSize : p.promptLogprobs().getAsInt();
            if (maxLogprobs != -1 && num > maxLogprobs) {
                throw fail("prompt_logprobs", "Requested prompt logprobs of " + num + ", which is greater than max allowed: " + maxLogprobs);
            }
        }
        List<Integer> badBias = new ArrayList<>();
        for (int id : p.logitBias().keySet()) if (id < 0 || id >= vocabSize) badBias.add(id);
        if (!badBias.isEmpty()) {
            throw fail("logit_bias", "token_id(s) " + badBias + " in logit_bias contain out-of-vocab token ids. Vocabulary size: " + vocabSize);
        }
        List<Integer> badStop = new ArrayList<>();
        for (int id : p.stopTokenIds()) if (id >= vocabSize) badStop.add(id);
        if (!badStop.isEmpty()) {
            throw fail("stop_token_ids", "token_id(s) " + badStop + " in stop_token_ids contain out-of-vocab token ids. Vocabulary size: " + vocabSize);
        }
    }

    static SamplingParamsException fail(String parameter, String message) {
        return new SamplingParamsException(parameter, message);
    }
}
