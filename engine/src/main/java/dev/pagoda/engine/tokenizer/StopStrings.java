package dev.pagoda.engine.tokenizer;

import java.util.List;

/**
 * Stop-string detection on streamed text, as vLLM's {@code check_stop_strings}: after each delta,
 * only the tail that the delta could have completed is searched, so a stop string split across
 * deltas is found as soon as its last character arrives.
 *
 * @param stops the stop strings (non-empty)
 * @param includeInOutput whether the matched stop string stays in the output text
 */
public record StopStrings(List<String> stops, boolean includeInOutput) {
    public StopStrings {
        stops = List.copyOf(stops);
        for (String s : stops) if (s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
    }

    /** A found stop string and the length the output text must be cut to. */
    public record Match(String stop, int truncateTo) {}

    /**
     * Looks for a stop string ending within the last {@code newChars} characters of {@code text}
     * (the full output so far, e.g. {@link IncrementalDetokenizer#text()}); null if none.
     */
    public Match check(CharSequence text, int newChars) {
        if (newChars <= 0) return null;
        int longest = 0;
        for (String stop : stops) longest = Math.max(longest, stop.length());
        int tailStart = Math.max(0, text.length() - newChars - longest + 1);
        String tail = text.subSequence(tailStart, text.length()).toString(); // only the tail: O(1) per token
        for (String stop : stops) { // the first listed stop that occurs wins, as in vLLM
            int at = tail.indexOf(stop, Math.max(0, tail.length() - newChars - stop.length() + 1));
            if (at < 0) continue;
            return new Match(stop, tailStart + at + (includeInOutput ? stop.length() : 0));
        }
        return null;
    }

    /**
     * How many characters of {@code textLength} may be streamed to the client now: the last
     * (longest stop − 1) characters are held back, since they could be the start of a stop string
     * that would be cut off (vLLM's stop buffer; not needed when stops stay in the output).
     */
    public int streamableLength(int textLength) {
        if (includeInOutput) return textLength;
        int longest = 0;
        for (String s : stops) longest = Math.max(longest, s.length());
        return Math.max(0, textLength - (longest - 1));
    }
}
