package dev.pagoda.engine.engine;

import dev.pagoda.engine.sampling.Finish;
import dev.pagoda.engine.sampling.FinishReason;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.StopChecker;
import dev.pagoda.engine.sampling.TokenLogprobs;
import dev.pagoda.engine.sequence.Sequence;
import dev.pagoda.engine.sequence.SequenceStatus;
import dev.pagoda.engine.tokenizer.IncrementalDetokenizer;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The output side of one {@link Sequence}: its text, logprobs and finish verdict, updated token by
 * token (vLLM's output processor + detokenizer for one completion).
 */
final class Completion {
    final Sequence sequence;
    private final IncrementalDetokenizer detokenizer;
    private final StopChecker stopChecker;
    private final StringBuilder text = new StringBuilder();
    private final List<TokenLogprobs> logprobs = new ArrayList<>();
    private Finish finish;            // null while running
    private FinishReason finishReason;
    private int reportedChars;        // text already handed out in earlier outputs
    private int reportedTokens;
    private boolean reportedFinish;

    Completion(Sequence sequence, Tokenizer tokenizer, StopChecker stopChecker) {
        this.sequence = sequence;
        SamplingParams p = sequence.samplingParams();
        this.detokenizer = new IncrementalDetokenizer(tokenizer, sequence.promptTokenIds(), p.skipSpecialTokens(), p.spacesBetweenSpecialTokens());
        this.stopChecker = stopChecker;
    }

    /**
     * Records the token just appended to the sequence; returns the status it ends in, or null when it goes on.
     * Order as vLLM's: token checks (EOS, stop ids, length), text, then stop strings, which win.
     */
    SequenceStatus onToken(int tokenId, TokenLogprobs tokenLogprobs) {
        if (tokenLogprobs != null) logprobs.add(tokenLogprobs);
        Finish f = stopChecker.checkToken(tokenId, sequence.numOutputTokens(), sequence.numTokens()).orElse(null);
        int before = text.length();
        if (f == null || !f.omitTokenText()) text.append(detokenizer.add(tokenId));
        if (f != null) text.append(detokenizer.flush()); // the end: release a held-back partial character
        Finish byString = stopChecker.checkStopStrings(text, text.length() - before, sequence.numOutputTokens()).orElse(null);
        if (byString != null) f = byString;
        if (f == null) return null;
        finish = f;
        finishReason = f.reason();
        text.setLength(Math.min(text.length(), f.textLength() >= 0 ? f.textLength() : text.length()));
        return f.reason() == FinishReason.LENGTH ? SequenceStatus.FINISHED_LENGTH_CAPPED : SequenceStatus.FINISHED_STOPPED;
    }

    void onAbort() {
        if (finishReason == null) finishReason = FinishReason.ABORT;
    }

    boolean finished() {
        return finishReason != null;
    }

    /** Output tokens generated since the last {@link #snapshot()}. */
    int numUnreportedTokens() {
        return sequence.numOutputTokens() - reportedTokens;
    }

    /** Finished, and no {@link #snapshot()} has said so yet. */
    boolean hasUnreportedFinish() {
        return finished() && !reportedFinish;
    }

    /**
     * The output so far, with what is new since the last call. While running, the last
     * {@code holdBackChars} chars are held back: they may turn out to be the start of a stop string.
     */
    CompletionOutput snapshot() {
        int visible = finished() ? text.length() : Math.max(reportedChars, text.length() - stopChecker.holdBackChars());
        String all = text.substring(0, visible);
        String delta = all.substring(Math.min(reportedChars, visible));
        int[] tokenIds = sequence.outputTokenIds();
        int numNew = tokenIds.length - reportedTokens;
        reportedChars = visible;
        reportedTokens = tokenIds.length;
        reportedFinish = finished();
        return new CompletionOutput(sequence.index(), all, delta, tokenIds, numNew, logprobs.isEmpty() ? List.of() : List.copyOf(logprobs), finishReason,
                finish == null ? null : finish.stopReason());
    }
}
