package dev.pagoda.engine.sampling;

import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Decides when one sequence is finished, as vLLM v1 does in two places: the scheduler's
 * {@code check_stop} (token ids and lengths, right after sampling) and the detokenizer's
 * {@code check_stop_strings} (text, after the new token's text is appended). One instance per
 * sequence. The engine's order per new token:
 *
 * <pre>{@code
 * Optional<Finish> finish = checker.checkToken(token, numOutputTokens, numTokens);
 * if (finish.isEmpty() || !finish.get().omitTokenText()) text += detokenizer.next(token);
 * Optional<Finish> byString = checker.checkStopStrings(text, deltaLength, numOutputTokens);
 * if (byString.isPresent()) finish = byString;          // a stop string wins, as in vLLM
 * finish.ifPresent(f -> text = f.truncate(text));
 * }</pre>
 *
 * <p>Rules (vLLM's): no stop token ends a sequence before it has {@code min_tokens} tokens, no stop
 * string before it has more than {@code min_tokens}; EOS (any of the model's eos ids) stops unless
 * {@code ignore_eos}; {@code stop_token_ids} always stop; reaching {@code max_tokens} or the model's
 * context ({@code max_model_len}) is {@link FinishReason#LENGTH} (a stop token on that same step
 * says STOP). One difference: when several stop strings appear in the new text, the one that
 * starts earliest wins (vLLM takes the first in the request's list), so the cut is the shortest.
 */
public final class StopChecker {
    private final SamplingParams params;
    private final Set<Integer> eosTokenIds;
    private final Set<Integer> stopTokenIds;
    private final int maxModelLen;
    private final int longestStop; // chars of the longest stop string (0: none)

    /**
     * @param eosTokenIds every id that means end-of-sequence for this model
     *                    ({@code GenerationConfig#stopTokenIds(ModelConfig)})
     * @param maxModelLen the model's context length in tokens (prompt + output)
     */
    public StopChecker(SamplingParams params, Collection<Integer> eosTokenIds, int maxModelLen) {
        if (maxModelLen < 1) throw new IllegalArgumentException("maxModelLen must be >= 1, got " + maxModelLen);
        this.params = params;
        this.eosTokenIds = Set.copyOf(eosTokenIds);
        this.stopTokenIds = new HashSet<>(params.stopTokenIds());
        this.maxModelLen = maxModelLen;
        int longest = 0;
        for (String s : params.stop()) longest = Math.max(longest, s.length());
        this.longestStop = longest;
    }

    /**
     * Checks the token just appended.
     *
     * @param tokenId         the new token
     * @param numOutputTokens output tokens including the new one
     * @param numTokens       prompt + output tokens including the new one
     */
    public Optional<Finish> checkToken(int tokenId, int numOutputTokens, int numTokens) {
        if (numOutputTokens >= params.minTokens()) {
            boolean omit = !params.includeStopStrInOutput();
            if (!params.ignoreEos() && eosTokenIds.contains(tokenId)) {
                return Optional.of(new Finish(FinishReason.STOP, -1, null, -1, omit));
            }
            if (stopTokenIds.contains(tokenId)) {
                return Optional.of(new Finish(FinishReason.STOP, tokenId, null, -1, omit));
            }
        }
        // Unlike vLLM, min_tokens never lets a sequence run past its context.
        if (numTokens >= maxModelLen || (params.maxTokens().isPresent() && numOutputTokens >= params.maxTokens().getAsInt())) {
            return Optional.of(Finish.length());
        }
        return Optional.empty();
    }

    /**
     * Looks for a stop string in the text, only where the last {@code newCharCount} chars could have
     * completed one.
     *
     * @param outputText      the whole output text so far, the new token's text included (only its
     *                        tail is read: no copy of the whole text per token)
     * @param newCharCount    how many chars at its end are new this step
     * @param numOutputTokens output tokens including the new one
     * @return a STOP whose {@link Finish#textLength()} ends the text before the stop string (or after
     *         it, with include_stop_str_in_output)
     */
    public Optional<Finish> checkStopStrings(CharSequence outputText, int newCharCount, int numOutputTokens) {
        if (params.stop().isEmpty() || newCharCount <= 0 || numOutputTokens <= params.minTokens()) return Optional.empty();
        // The window where a stop string could end in the new chars: the new chars and, before them, one char fewer than the longest stop.
        int windowStart = Math.max(0, outputText.length() - newCharCount - longestStop + 1);
        String window = outputText.subSequence(windowStart, outputText.length()).toString();
        int best = -1;
        String bestStop = null;
        for (String stop : params.stop()) {
            int from = Math.max(0, outputText.length() - newCharCount - stop.length() + 1);
            int at = window.indexOf(stop, from - windowStart);
            if (at >= 0) at += windowStart;
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
                bestStop = stop;
            }
        }
        if (bestStop == null) return Optional.empty();
        int keep = params.includeStopStrInOutput() ? best + bestStop.length() : best;
        return Optional.of(new Finish(FinishReason.STOP, -1, bestStop, keep, false));
    }

    /**
     * Chars a streaming response must hold back, because they may be the start of a stop string
     * that is cut from the output (vLLM's {@code output_text_buffer_length}); 0 when nothing is cut.
     */
    public int holdBackChars() {
        if (params.stop().isEmpty() || params.includeStopStrInOutput()) return 0;
        return longestStop - 1;
    }
}
