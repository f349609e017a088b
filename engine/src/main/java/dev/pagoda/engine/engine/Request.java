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
    private int numOutputs; // outputs handed out so far

    Request(String requestId, int[] promptTokenIds, SamplingParams params) {
        this.requestId = requestId;
        this.promptTokenIds = promptTokenIds.clone();
        this.params = params;
        this.promptLogprobs = params.promptLogprobs().isPresent() ? new TokenLogprobs[promptTokenIds.length] : null;
    }

    /**
     * Whether this step should hand out an output (vLLM's {@code stream_interval}): always its first
     * and its last, and in between once some completion has {@code streamInterval} tokens that no
     * output reported yet, or has finished (one of n). Skipped steps lose nothing: the next output's
     * deltas cover them.
     */
    boolean dueForOutput(int streamInterval) {
        if (numOutputs == 0 || finished()) return true;
        for (Completion c : completions) if (c.numUnreportedTokens() >= streamInterval || c.hasUnreportedFinish()) return true;
        return false;
    }

    boolean finished() {
        for (Completion c : completions) if (!c.finished()) return false;
        return true;
    }

    RequestOutput output() {
        List<CompletionOutput> outs = new ArrayList<>(completions.size());
        for (Completion c : completions) outs.add(c.snapshot());
        if (promptForOutputs == null) promptForOutputs = promptTokenIds.clone();
        numOutputs++;
        return new RequestOutput(requestId, promptForOutputs, outs, finished(),
                Math.max(0, completions.getFirst().sequence.numCachedTokens()),
                promptLogprobs == null ? null : Collections.unmodifiableList(Arrays.asList(promptLogprobs.clone())));
    }
}
