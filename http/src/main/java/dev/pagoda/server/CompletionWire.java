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

    /**
     * @param logprobs       null unless asked for
     * @param finishReason   null until the choice ends
     * @param promptLogprobs vLLM's {@code prompt_logprobs}: null first, then per prompt token its top
     *                       tokens and itself by token id; left out unless asked for (and in stream chunks)
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Choice(int index, String text, Logprobs logprobs, String finishReason, Object stopReason,
                         @JsonInclude(JsonInclude.Include.NON_NULL) List<Map<String, PromptLogprob>> promptLogprobs) {}

    /** One entry of a prompt position's {@code prompt_logprobs} map (vLLM's {@code Logprob}). */
    public record PromptLogprob(double logprob, int rank, String decodedToken) {}

    /**
     * Per output token (after the prompt's tokens when echoed): its text, its logprob, the top
     * alternatives (token text → logprob, the sampled one included) and its character offset in the
     * returned text. An echoed prompt's first token has null for its logprob and its alternatives.
     */
    public record Logprobs(List<Integer> textOffset, List<Double> tokenLogprobs, List<String> tokens,
                           List<Map<String, Double>> topLogprobs) {}
}
