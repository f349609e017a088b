package dev.pagoda.engine.engine;

import java.util.List;

/**
 * A request's progress after a step (vLLM's {@code RequestOutput}).
 *
 * @param requestId      the caller's id
 * @param promptTokenIds {@code [numPromptTokens]}
 * @param outputs        one per completion ({@code n} of them), by index
 * @param finished       every completion has finished
 * @param numCachedTokens prompt tokens the first completion found in the prefix cache
 */
public record RequestOutput(String requestId, int[] promptTokenIds, List<CompletionOutput> outputs, boolean finished,
                            int numCachedTokens) {}
