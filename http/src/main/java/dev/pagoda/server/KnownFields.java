package dev.pagoda.server;

import dev.pagoda.engine.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The request fields each route reads. Anything else is ignored with a warning in the server log,
 * as vLLM does ("The following fields were present in the request but ignored"): OpenAI clients send
 * extras (user, store, metadata, service_tier …) that a 400 would break. Fields we know but cannot
 * honour (structured output, suffix, prompt_embeds) are a 400 instead, in {@link SamplingRequest#checkUnsupported}.
 */
final class KnownFields {
    private static final System.Logger LOG = System.getLogger(KnownFields.class.getName());

    /** OpenAI's fields that change nothing about the output (billing, tracing, storage). */
    private static final List<String> PASSIVE = List.of("user", "store", "metadata", "service_tier", "safety_identifier", "prompt_cache_key");

    static final Set<String> COMPLETIONS = with(List.of("model", "prompt", "suffix", "stream", "stream_options", "echo", "priority",
            "add_special_tokens", "truncate_prompt_tokens", "max_completion_tokens", "response_format", "guided_json", "guided_regex",
            "guided_choice", "guided_grammar", "structured_outputs", "prompt_embeds"));

    static final Set<String> CHAT = with(List.of("model", "messages", "stream", "stream_options", "priority", "add_generation_prompt",
            "continue_final_message", "tools", "tool_choice", "parallel_tool_calls", "chat_template", "chat_template_kwargs",
            "add_special_tokens", "truncate_prompt_tokens", "top_logprobs", "max_completion_tokens", "response_format", "guided_json",
            "guided_regex", "guided_choice", "guided_grammar", "structured_outputs", "prompt_embeds"));

    static final Set<String> EMBEDDINGS = Set.of("model", "input", "encoding_format", "dimensions", "add_special_tokens",
            "truncate_prompt_tokens", "user");

    static final Set<String> TOKENIZE = Set.of("model", "prompt", "messages", "add_special_tokens", "return_token_strs",
            "add_generation_prompt", "continue_final_message", "tools", "chat_template", "chat_template_kwargs", "truncate_prompt_tokens");

    static final Set<String> DETOKENIZE = Set.of("model", "tokens");

    private KnownFields() {}

    private static Set<String> with(List<String> own) {
        Set<String> s = new LinkedHashSet<>(own);
        s.addAll(SamplingParams.FIELD_NAMES);
        s.addAll(PASSIVE);
        return Set.copyOf(s);
    }

    /** The body's fields that {@code route} does not read (at most 10, each cut to 64 printable chars); empty when none. */
    static List<String> unknown(JsonBody body, Set<String> known) {
        List<String> out = new ArrayList<>();
        for (String name : (Iterable<String>) body.root().properties().stream().map(java.util.Map.Entry::getKey)::iterator) {
            if (known.contains(name)) continue;
            if (out.size() == 10) {
                out.add("…");
                break;
            }
            // Field names are the client's text: no control characters (log injection), bounded length.
            String clean = name.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                    .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
            out.add(clean.length() > 64 ? clean.substring(0, 64) + "…" : clean);
        }
        return out;
    }

    /** Logs the ignored fields of one request, if any. */
    static void warnUnknown(JsonBody body, Set<String> known, String route) {
        List<String> unknown = unknown(body, known);
        if (!unknown.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "The following fields were present in the " + route + " request but ignored: " + unknown);
        }
    }
}
