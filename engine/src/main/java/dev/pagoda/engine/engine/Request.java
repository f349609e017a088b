package dev.pagoda.engine.engine;

import dev.pagoda.engine.sampling.SamplingParams;
import java.util.ArrayList;
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

    Request(String requestId, int[] promptTokenIds, SamplingParams params) {
        this.requestId = requestId;
        this.promptTokenIds = promptTokenIds.clone();
        this.params = params;
    }

    boolean finished() {
        for (Completion c : completions) if (!c.finished()) return false;
        return true;
    }

    RequestOutput output() {
        List<CompletionOutput> outs = new ArrayList<>(completions.size());
        for (Completion c : completions) outs.add(c.snapshot());
        return new RequestOutput(requestId, promptTokenIds.clone(), outs, finished(),
                Math.max(0, completions.getFirst().sequence.numCachedTokens()));
    }
}
