package dev.pagoda.engine.engine;

import dev.pagoda.engine.sampling.TokenLogprobs;
import java.util.List;

/**
 * A request's progress after a step (vLLM's {@code RequestOutput}).
 *
 * @param requestId      the caller's id
 * @param promptTokenIds {@code [numPromptTokens]}, the same array in every output of a request (read it, do not modify it)
 * @param outputs        one per completion ({@code n} of them), by index
 * @param finished       every completion has finished
 * @param numCachedTokens prompt tokens the first completion found in the prefix cache
 * @param promptLogprobs {@code [numPromptTokens]} when the request asked for prompt_logprobs, else null:
 *                       entry {@code p} scores prompt token {@code p} given the tokens before it (raw model
 *                       distribution); entry 0 is null, as are positions not computed yet (all are once
 *                       the first token has been sampled)
 */
public record RequestOutput(String requestId, int[] promptTokenIds, List<CompletionOutput> outputs, boolean finished,
                            int numCachedTokens, List<TokenLogprobs> promptLogprobs) {

    /** A request without prompt logprobs. */
    public RequestOutput(String requestId, int[] promptTokenIds, List<CompletionOutput> outputs, boolean finished, int numCachedTokens) {
        this(requestId, promptTokenIds, outputs, finished, numCachedTokens, null);
    }
}
