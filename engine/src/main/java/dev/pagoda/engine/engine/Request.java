package dev.pagoda.engine.engine;

import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.TokenLogprobs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A request inside the engine: its prompt, its effective sampling parameters, and its {@code n}
 * completions (one {@link dev.pagoda.engine.sequence.Sequence} each).
 */
final class Request {
    final String requestId;
    final int[] promptTokenIds;
    final SamplingParams params;
    final List<Completion> completions = new ArrayList<>();
    /** {@code [numPromptTokens]} prompt logprobs as they are computed (entry 0 stays null); null when not requested. */
    final TokenLogprobs[] promptLogprobs;
    /** One copy of the prompt for every output of this request (a copy per step was a prompt's length per token). */
    private int[] promptForOutputs;

    Request(String requestId, int[] promptTokenIds, SamplingParams params) {
        this.requestId = requestId;
        this.promptTokenIds = promptTokenIds.clone();
        this.params = params;
        this.promptLogprobs = params.promptLogprobs().isPresent() ? new TokenLogprobs[promptTokenIds.length] : null;
    }

    boolean finished() {
        for (Completion c : completions) if (!c.finished()) return false;
        return true;
    }

    RequestOutput output() {
        List<CompletionOutput> outs = new ArrayList<>(completions.size());
        for (Completion c : completions) outs.add(c.snapshot());
        if (promptForOutputs == null) promptForOutputs = promptTokenIds.clone();
        return new RequestOutput(requestId, promptForOutputs, outs, finished(),
                Math.max(0, completions.getFirst().sequence.numCachedTokens()),
                promptLogprobs == null ? null : Collections.unmodifiableList(Arrays.asList(promptLogprobs.clone())));
    }
}
