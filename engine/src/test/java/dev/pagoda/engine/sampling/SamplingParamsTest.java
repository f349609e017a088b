package dev.pagoda.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.json.Json;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class SamplingParamsTest {

    private static void rejects(String parameter, String message, Supplier<?> build) {
        SamplingParamsException e = assertThrows(SamplingParamsException.class, build::get);
        assertEquals(message, e.getMessage());
        assertEquals(parameter, e.parameter());
    }

    @Test
    void defaultsAreVllms() {
        SamplingParams p = SamplingParams.defaults();
        assertEquals(1, p.n());
        assertEquals(1.0, p.temperature());
        assertEquals(1.0, p.topP());
        assertEquals(0, p.topK());
        assertEquals(0.0, p.minP());
        assertEquals(1.0, p.repetitionPenalty());
        assertEquals(OptionalInt.empty(), p.maxTokens());
        assertEquals(OptionalLong.empty(), p.seed());
        assertEquals(LogprobsMode.RAW_LOGPROBS, p.logprobsMode());
        assertTrue(p.skipSpecialTokens());
        assertTrue(p.spacesBetweenSpecialTokens());
        assertFalse(p.greedy());
        assertFalse(p.needsLogitsProcessing());
        assertEquals(Set.of(), p.requestFields());
    }

    @Test
    void vllmLimitsAndMessages() {
        rejects("n", "n must be at least 1, got 0.", () -> SamplingParams.builder().n(0).build());
        rejects("presence_penalty", "presence_penalty must be in [-2, 2], got 2.5.", () -> SamplingParams.builder().presencePenalty(2.5).build());
        rejects("frequency_penalty", "frequency_penalty must be in [-2, 2], got -2.1.", () -> SamplingParams.builder().frequencyPenalty(-2.1).build());
        rejects("repetition_penalty", "repetition_penalty must be greater than zero, got 0.0.", () -> SamplingParams.builder().repetitionPenalty(0).build());
        rejects("repetition_penalty", "repetition_penalty must be a finite number, got NaN.", () -> SamplingParams.builder().repetitionPenalty(Double.NaN).build());
        rejects("temperature", "temperature must be non-negative, got -1.0.", () -> SamplingParams.builder().temperature(-1).build());
        rejects("temperature", "temperature must be in [0, 2], got 2.5.", () -> SamplingParams.builder().temperature(2.5).build());
        rejects("temperature", "temperature must be a finite number, got Infinity.", () -> SamplingParams.builder().temperature(Double.POSITIVE_INFINITY).build());
        rejects("top_p", "top_p must be in (0, 1], got 0.0.", () -> SamplingParams.builder().topP(0).build());
        rejects("top_p", "top_p must be in (0, 1], got 1.5.", () -> SamplingParams.builder().topP(1.5).build());
        rejects("top_k", "top_k must be 0 (disable), or at least 1, got -2.", () -> SamplingParams.builder().topK(-2).build());
        rejects("min_p", "min_p must be in [0, 1], got 1.1.", () -> SamplingParams.builder().minP(1.1).build());
        rejects("max_tokens", "max_tokens must be at least 1, got 0.", () -> SamplingParams.builder().maxTokens(0).build());
        rejects("min_tokens", "min_tokens must be greater than or equal to 0, got -1.", () -> SamplingParams.builder().minTokens(-1).build());
        rejects("min_tokens", "min_tokens must be less than or equal to max_tokens=4, got 5.",
                () -> SamplingParams.builder().maxTokens(4).minTokens(5).build());
        rejects("logprobs", "logprobs must be non-negative or -1, got -2.", () -> SamplingParams.builder().logprobs(-2).build());
        rejects("prompt_logprobs", "prompt_logprobs must be non-negative or -1, got -3.", () -> SamplingParams.builder().promptLogprobs(-3).build());
        rejects("stop", "stop cannot contain an empty string.", () -> SamplingParams.builder().stop("a", "").build());
        rejects("stop_token_ids", "stop_token_ids must contain only non-negative integers, got [-5].", () -> SamplingParams.builder().stopTokenIds(-5).build());
        rejects("n", "n must be 1 when using greedy sampling, got 2.", () -> SamplingParams.builder().temperature(0).n(2).build());
        rejects("logit_bias", "logit_bias value for token 3 is NaN.", () -> SamplingParams.builder().logitBias(Map.of(3, Float.NaN)).build());
    }

    @Test
    void normalizationsAsVllm() {
        SamplingParams greedy = SamplingParams.builder().temperature(0).topP(0.5).topK(3).minP(0.2).build();
        assertTrue(greedy.greedy());
        assertEquals(1.0, greedy.topP());
        assertEquals(0, greedy.topK());
        assertEquals(0.0, greedy.minP());
        assertEquals(0.01, SamplingParams.builder().temperature(0.001).build().temperature());
        assertEquals(0, SamplingParams.builder().topK(-1).build().topK());
        assertEquals(OptionalLong.empty(), SamplingParams.builder().seed(-1).build().seed());
        assertEquals(OptionalLong.of(7), SamplingParams.builder().seed(7).build().seed());
        assertEquals(Map.of(1, 100f, 2, -100f, 3, 5f),
                SamplingParams.builder().logitBias(Map.of(1, 250, 2, -1e9, 3, 5)).build().logitBias());
        assertEquals(List.of(5, 3), SamplingParams.builder().stopTokenIds(5, 3, 5).build().stopTokenIds());
        assertTrue(SamplingParams.builder().presencePenalty(0.5).build().needsLogitsProcessing());
        assertTrue(SamplingParams.builder().minTokens(1).build().needsLogitsProcessing());
    }

    @Test
    void modelChecks() {
        SamplingParams bias = SamplingParams.builder().logitBias(Map.of(10, 1, 3, 1)).build();
        rejects("logit_bias", "token_id(s) [10] in logit_bias contain out-of-vocab token ids. Vocabulary size: 10", () -> bias.validate(10, 20));
        bias.validate(11, 20);
        rejects("stop_token_ids", "token_id(s) [12] in stop_token_ids contain out-of-vocab token ids. Vocabulary size: 10",
                () -> SamplingParams.builder().stopTokenIds(12).build().validate(10, 20));
        rejects("logprobs", "Requested sample logprobs of 21, which is greater than max allowed: 20",
                () -> SamplingParams.builder().logprobs(21).build().validate(100, SamplingParams.DEFAULT_MAX_LOGPROBS));
        rejects("logprobs", "Requested sample logprobs of 100, which is greater than max allowed: 20",
                () -> SamplingParams.builder().logprobs(-1).build().validate(100, 20));
        rejects("prompt_logprobs", "Requested prompt logprobs of 30, which is greater than max allowed: 5",
                () -> SamplingParams.builder().promptLogprobs(30).build().validate(100, 5));
        SamplingParams.builder().logprobs(-1).build().validate(100, -1);
        SamplingParams.builder().logprobs(20).promptLogprobs(20).build().validate(100, 20);
    }

    @Test
    void generationConfigDefaultsFillOnlyUnsetFields() {
        SamplingParams request = SamplingParams.builder().temperature(0.3).maxTokens(5).build();
        SamplingParams merged = request.withDefaults(Map.of("temperature", 0.6, "top_p", 0.9, "top_k", 20, "max_tokens", 100, "repetition_penalty", 1.1));
        assertEquals(0.3, merged.temperature(), "the request wins");
        assertEquals(OptionalInt.of(5), merged.maxTokens(), "the request wins");
        assertEquals(0.9, merged.topP());
        assertEquals(20, merged.topK());
        assertEquals(1.1, merged.repetitionPenalty());
        assertEquals(Set.of("top_p", "top_k", "repetition_penalty"), merged.defaultedFields());
        assertEquals(Set.of("temperature", "max_tokens"), merged.requestFields());
        Map<String, Object> effective = merged.effectiveValues();
        assertEquals(SamplingParams.FIELD_NAMES, List.copyOf(effective.keySet()));
        assertEquals(0.9, effective.get("top_p"));
        assertEquals(5, effective.get("max_tokens"));
        Json.write(effective); // reportable as JSON

        // A greedy request stays greedy: the file's filters are switched off again.
        SamplingParams greedy = SamplingParams.builder().temperature(0).build().withDefaults(Map.of("top_p", 0.8, "top_k", 5));
        assertEquals(1.0, greedy.topP());
        assertEquals(0, greedy.topK());
        // A file that says temperature 0 makes an unspecified request greedy.
        assertTrue(SamplingParams.defaults().withDefaults(Map.of("temperature", 0.0)).greedy());
        assertThrows(SamplingParamsException.class, () -> SamplingParams.defaults().withDefaults(Map.of("top_p", 0.0)));
        assertThrows(SamplingParamsException.class, () -> SamplingParams.defaults().withDefaults(Map.of("do_sample", 1)));
    }

    @Test
    void fromJsonReadsVllmFields() {
        Map<String, Object> body = Json.parseObject("""
                {"prompt": "ignored", "n": 2, "temperature": 0.7, "top_p": 0.9, "top_k": -1, "min_p": 0.05,
                 "presence_penalty": 0.1, "frequency_penalty": 0.2, "repetition_penalty": 1.05,
                 "logit_bias": {"42": -100, "7": 150}, "seed": 1234, "stop": "###", "stop_token_ids": [2, 3],
                 "include_stop_str_in_output": true, "ignore_eos": true, "min_tokens": 3, "max_tokens": 64,
                 "logprobs": true, "prompt_logprobs": 2, "logprobs_mode": "processed_logprobs",
                 "skip_special_tokens": false, "spaces_between_special_tokens": false, "top_a": null}""");
        SamplingParams p = SamplingParams.fromJson(body);
        assertEquals(2, p.n());
        assertEquals(0.7, p.temperature());
        assertEquals(0, p.topK());
        assertEquals(Map.of(42, -100f, 7, 100f), p.logitBias());
        assertEquals(OptionalLong.of(1234), p.seed());
        assertEquals(List.of("###"), p.stop());
        assertEquals(List.of(2, 3), p.stopTokenIds());
        assertTrue(p.includeStopStrInOutput());
        assertTrue(p.ignoreEos());
        assertEquals(3, p.minTokens());
        assertEquals(OptionalInt.of(64), p.maxTokens());
        assertEquals(OptionalInt.of(1), p.logprobs());
        assertEquals(OptionalInt.of(2), p.promptLogprobs());
        assertEquals(LogprobsMode.PROCESSED_LOGPROBS, p.logprobsMode());
        assertFalse(p.skipSpecialTokens());
        assertFalse(p.spacesBetweenSpecialTokens());
        assertEquals(21, p.requestFields().size());

        rejects("temperature", "temperature must be a number, got hot.", () -> SamplingParams.fromJson(Map.of("temperature", "hot")));
        rejects("logit_bias", "logit_bias contains key(s) that cannot be converted to integer token IDs: ['x']",
                () -> SamplingParams.fromJson(Json.parseObject("{\"logit_bias\": {\"x\": 1}}")));
        rejects("logprobs_mode", "logprobs_mode must be one of raw_logprobs, raw_logits, processed_logprobs, processed_logits, got 'best'.",
                () -> SamplingParams.fromJson(Map.of("logprobs_mode", "best")));
        assertEquals(SamplingParams.defaults(), SamplingParams.fromJson(Json.parseObject("{\"seed\": null, \"stop\": null, \"logprobs\": false}")));
    }

    @Test
    void childrenOfParallelSamplingGetDistinctSeeds() {
        SamplingParams p = SamplingParams.builder().n(3).seed(100).build();
        assertEquals(1, p.forChild(0).n());
        assertEquals(OptionalLong.of(100), p.forChild(0).seed());
        assertEquals(OptionalLong.of(102), p.forChild(2).seed());
        assertEquals(OptionalLong.empty(), SamplingParams.builder().n(2).build().forChild(1).seed());
        assertThrows(IllegalArgumentException.class, () -> p.forChild(3));
    }

    @Test
    void maxTokensAreCappedByTheContext() {
        assertEquals(90, SamplingParams.defaults().effectiveMaxTokens(10, 100));
        assertEquals(16, SamplingParams.builder().maxTokens(16).build().effectiveMaxTokens(10, 100));
        assertEquals(5, SamplingParams.builder().maxTokens(16).build().effectiveMaxTokens(95, 100));
    }
}
