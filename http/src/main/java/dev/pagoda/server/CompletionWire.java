package dev.pagoda.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** The JSON of POST /v1/completions responses (OpenAI's legacy completions, plus vLLM's stop_reason). */
public final class CompletionWire {
    private CompletionWire() {}

    /** The whole response ({@code object: "text_completion"}); streamed chunks use the same shape with deltas. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Response(String id, String object, long created, String model, List<Choice> choices,
                           String systemFingerprint, Usage usage) {}

    /** @param logprobs null unless asked for; @param finishReason null until the choice ends */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Choice(int index, String text, Logprobs logprobs, String finishReason, Object stopReason) {}

    /**
     * Per output token: its text, its logprob, the top alternatives (token text → logprob, the
     * sampled one included) and its character offset in the returned text.
     */
    public record Logprobs(List<Integer> textOffset, List<Double> tokenLogprobs, List<String> tokens,
                           List<Map<String, Double>> topLogprobs) {}
}
