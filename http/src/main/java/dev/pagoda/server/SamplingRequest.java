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

    static SamplingParams parse(JsonBody body, Endpoint endpoint, ServingModel model) {
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
            if (top != null && (top < 0 || top > SamplingParams.DEFAULT_MAX_LOGPROBS)) {
                throw ApiError.badRequest("top_logprobs must be between 0 and " + SamplingParams.DEFAULT_MAX_LOGPROBS + ", got " + top + ".", "top_logprobs");
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
                    .validate(model.modelConfig().vocabSize(), SamplingParams.DEFAULT_MAX_LOGPROBS);
            return params;
        } catch (SamplingParamsException e) {
            throw ApiError.badRequest(e.getMessage(), e.parameter());
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(e.getMessage(), null);
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
