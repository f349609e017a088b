package dev.pagoda.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** The JSON of POST /v1/chat/completions responses and stream chunks. */
public final class ChatWire {
    private ChatWire() {}

    /** @param promptLogprobs vLLM's {@code prompt_logprobs} (on the response, not per choice, as vLLM); null unless asked for */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Response(String id, String object, long created, String model, List<Choice> choices,
                           String systemFingerprint, Usage usage, List<Map<String, CompletionWire.PromptLogprob>> promptLogprobs) {}

    /** A choice of a whole response; {@code logprobs} is present (null when not asked for), as OpenAI's clients expect. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Choice(int index, Message message, Logprobs logprobs, String finishReason, Object stopReason) {}

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Message(String role, String content, String refusal) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Chunk(String id, String object, long created, String model, List<ChunkChoice> choices,
                        String systemFingerprint, Usage usage) {}

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ChunkChoice(int index, Delta delta, Logprobs logprobs, String finishReason, Object stopReason) {}

    /** What a chunk adds to the message: the role once, then content pieces. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Delta(String role, String content) {}

    /** {@code content}: one entry per output token. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Logprobs(List<TokenLogprob> content, Object refusal) {}

    /** A token with its logprob, UTF-8 bytes and the top alternatives. */
    public record TokenLogprob(String token, double logprob, List<Integer> bytes, List<TopLogprob> topLogprobs) {}

    public record TopLogprob(String token, double logprob, List<Integer> bytes) {}
}
