package dev.pagoda.server;

import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.SamplingParamsException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sampling part of a completions or chat request, checked before anything reaches the engine so
 * that every mistake is a 400 naming the field: vLLM's field names and limits
 * ({@link SamplingParams#fromJson}), the model's generation_config defaults, and the context length.
 */
final class SamplingRequest {
    private SamplingRequest() {}

    /** Which endpoint's meaning of {@code logprobs}: an integer N (completions) or a boolean plus top_logprobs (chat). */
    enum Endpoint { COMPLETIONS, CHAT }

    static SamplingParams parse(JsonBody body, Endpoint endpoint, ServingModel model, RequestLimits limits) {
        checkSizes(body, limits);
        int maxLogprobs = limits.maxLogprobs();
        Map<String, Object> fields = new LinkedHashMap<>();
        for (String name : SamplingParams.FIELD_NAMES) {
            if (body.has(name)) fields.put(name, JsonBody.toPlain(body.get(name)));
        }
        // max_completion_tokens is the newer name of max_tokens; it wins when both are given (vLLM).
        if (body.has("max_completion_tokens")) fields.put("max_tokens", JsonBody.toPlain(body.get("max_completion_tokens")));
        if (endpoint == Endpoint.CHAT) {
            fields.remove("logprobs");
            boolean logprobs = body.bool("logprobs", false);
            Integer top = body.integer("top_logprobs");
            if (top != null && !logprobs) throw ApiError.badRequest("top_logprobs requires logprobs to be true.", "top_logprobs");
            if (top != null && (top < 0 || (maxLogprobs != -1 && top > maxLogprobs))) {
                throw ApiError.badRequest("top_logprobs must be between 0 and " + maxLogprobs + " (the server's --max-logprobs), got " + top + ".",
                        "top_logprobs");
            }
            if (logprobs) fields.put("logprobs", (long) (top == null ? 0 : top));
        }
        // Completions echo with logprobs: the echoed prompt tokens need their logprobs too (vLLM's to_sampling_params).
        if (endpoint == Endpoint.COMPLETIONS && body.bool("echo", false) && fields.get("logprobs") != null && fields.get("prompt_logprobs") == null) {
            fields.put("prompt_logprobs", fields.get("logprobs"));
        }
        try {
            SamplingParams params = SamplingParams.fromJson(fields);
            params.withDefaults(model.generationConfig().samplingDefaults())
                    .validate(model.modelConfig().vocabSize(), maxLogprobs);
            if (params.n() > limits.maxN()) {
                throw ApiError.badRequest("n must be at most " + limits.maxN() + " (the server's --max-n), got " + params.n() + ".", "n");
            }
            return params;
        } catch (SamplingParamsException e) {
            String message = e.getMessage();
            // vLLM's wording says what was too many but not how to change the limit: name the flag.
            if (message.contains("greater than max allowed")) message += " (the server's --max-logprobs).";
            throw ApiError.badRequest(message, e.parameter());
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(e.getMessage(), null);
        }
    }

    /**
     * The list and map fields whose size the server bounds, checked on the raw JSON before anything is
     * built from them: a million stop strings or logit_bias entries must cost a 400, not a step's worth of work per token.
     */
    private static void checkSizes(JsonBody body, RequestLimits limits) {
        com.fasterxml.jackson.databind.JsonNode stop = body.get("stop");
        if (stop != null && stop.isArray()) {
            if (stop.size() > limits.maxStopSequences()) {
                throw ApiError.badRequest("stop may hold at most " + limits.maxStopSequences() + " strings (the server's --max-stop-sequences), got "
                        + stop.size() + ".", "stop");
            }
        }
        if (stop != null) {
            for (com.fasterxml.jackson.databind.JsonNode s : stop.isArray() ? stop : List.of(stop)) {
                if (s.isTextual() && s.textValue().length() > limits.maxStopSequenceChars()) {
                    throw ApiError.badRequest("Each stop string may be at most " + limits.maxStopSequenceChars()
                            + " characters long (the server's --max-stop-sequence-chars), got one of " + s.textValue().length() + ".", "stop");
                }
            }
        }
        com.fasterxml.jackson.databind.JsonNode stopIds = body.get("stop_token_ids");
        if (stopIds != null && stopIds.isArray() && stopIds.size() > limits.maxStopTokenIds()) {
            throw ApiError.badRequest("stop_token_ids may hold at most " + limits.maxStopTokenIds() + " ids (the server's --max-stop-sequences), got "
                    + stopIds.size() + ".", "stop_token_ids");
        }
        com.fasterxml.jackson.databind.JsonNode bias = body.get("logit_bias");
        if (bias != null && bias.isObject() && bias.size() > limits.maxLogitBiasEntries()) {
            throw ApiError.badRequest("logit_bias may hold at most " + limits.maxLogitBiasEntries() + " entries (the server's --max-logit-bias-entries), got "
                    + bias.size() + ".", "logit_bias");
        }
    }

    /** Fields this server cannot honour are a 400, not silently ignored: structured output and a suffix. */
    static void checkUnsupported(JsonBody body) {
        JsonBody format = body.object("response_format");
        if (format != null && !"text".equals(format.string("type", "text"))) {
            throw ApiError.badRequest("response_format '" + format.string("type", "") + "' (structured output) is not supported by this server yet.",
                    "response_format");
        }
        for (String guided : java.util.List.of("guided_json", "guided_regex", "guided_choice", "guided_grammar", "structured_outputs")) {
            if (body.has(guided)) throw ApiError.badRequest(guided + " (structured output) is not supported by this server yet.", guided);
        }
        if (body.has("prompt_embeds")) throw ApiError.badRequest("prompt_embeds is not supported by this server.", "prompt_embeds");
    }

    /** A 400 with vLLM's wording when a prompt (plus the requested output) does not fit the context. */
    static void checkLength(List<int[]> prompts, SamplingParams params, int maxModelLen, String what) {
        for (int[] p : prompts) {
            if (p.length == 0) throw ApiError.badRequest("The prompt cannot be empty.", what);
            if (p.length >= maxModelLen) {
                throw ApiError.badRequest("This model's maximum context length is " + maxModelLen + " tokens. However, your request has "
                        + p.length + " input tokens. Please reduce the length of the input " + what + ".", what);
            }
            if (params.maxTokens().isPresent() && (long) p.length + params.maxTokens().getAsInt() > maxModelLen) {
                int max = params.maxTokens().getAsInt();
                throw ApiError.badRequest("'max_tokens' or 'max_completion_tokens' is too large: " + max + ". This model's maximum context length is "
                        + maxModelLen + " tokens and your request has " + p.length + " input tokens (" + max + " > " + maxModelLen + " - " + p.length + ").",
                        "max_tokens");
            }
        }
    }
}
