package dev.pagoda.engine.events;

import java.util.List;
import java.util.Map;

/**
 * What reached the engine between two steps, in order: the requests added and the requests aborted.
 * A trace records them so that a replay can feed the same requests at the same step.
 */
public sealed interface EngineInput {
    String requestId();

    /**
     * A request was queued ({@code LlmEngine.addRequest}).
     *
     * @param promptTokenIds {@code [numPromptTokens]}
     * @param samplingParams the effective sampling parameters, in vLLM names ({@code SamplingParams.effectiveValues()})
     * @param priority       smaller is scheduled first
     */
    record RequestAdded(String requestId, List<Integer> promptTokenIds, Map<String, Object> samplingParams, int priority)
            implements EngineInput {
        public RequestAdded {
            promptTokenIds = List.copyOf(promptTokenIds);
            samplingParams = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(samplingParams));
        }
    }

    /** A request was aborted ({@code LlmEngine.abort}): a client went away or asked to stop. */
    record RequestAborted(String requestId) implements EngineInput {}
}
