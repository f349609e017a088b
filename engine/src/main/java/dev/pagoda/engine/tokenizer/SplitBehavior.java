package dev.pagoda.engine.tokenizer;

/**
 * What a {@code Split} pre-tokenizer does with the delimiters it finds (Hugging Face's
 * {@code SplitDelimiterBehavior}). Matches come as an {@link IntList} of (start, end) pairs in
 * order, non-overlapping.
 */
enum SplitBehavior {
    /** Drop the matches. */
    REMOVED,
    /** Every match is a piece of its own. */
    ISOLATED,
    /** A match joins the piece before it. */
    MERGED_WITH_PREVIOUS,
    /** A match joins the piece after it. */
    MERGED_WITH_NEXT,
    /** Adjacent matches form one piece. */
    CONTIGUOUS;

    static SplitBehavior fromJson(Object json) {
        return switch (String.valueOf(json)) {
            case "Removed" -> REMOVED;
            case "Isolated" -> ISOLATED;
            case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> MERGED_WITH_NEXT;
            case "Contiguous" -> CONTIGUOUS;
            default -> throw TokenizerException.unsupported("Split behavior", json);
        };
    }

    /** Emits the pieces of {@code text} given its matches, following Hugging Face's fold for each behavior. */
    void apply(String text, IntList matches, boolean invert, boolean atStart, PreTokenizer.Sink sink) {
        // Segments (start, end, isMatch) covering the whole text, gaps included; adjacent matches stay
        // separate segments, and inverting only flips the flags (as Hugging Face's Invert pattern).
        IntList seg = new IntList(matches.size() * 2 + 3);
        int pos = 0;
        for (int i = 0; i < matches.size(); i += 2) {
            int ms = matches.get(i), me = matches.get(i + 1);
            if (ms > pos) addSegment(seg, pos, ms, invert);
            if (me > ms) addSegment(seg, ms, me, !invert);
            pos = me;
        }
        if (pos < text.length()) addSegment(seg, pos, text.length(), invert);
        int count = seg.size() / 3;
        if (this == ISOLATED) {
            for (int i = 0; i < count; i++) emit(text, seg.get(3 * i), seg.get(3 * i + 1), atStart, sink);
            return;
        }
        // Pieces as (start, end) pairs.
        IntList out = new IntList(count * 2);
        boolean previousMatch = false;
        switch (this) {
            case REMOVED -> {
                for (int i = 0; i < count; i++) {
                    if (seg.get(3 * i + 2) == 0) { out.add(seg.get(3 * i)); out.add(seg.get(3 * i + 1)); }
                }
            }
            case MERGED_WITH_PREVIOUS -> {
                for (int i = 0; i < count; i++) {
                    boolean isMatch = seg.get(3 * i + 2) == 1;
                    if (isMatch && !previousMatch && out.size() > 0) out.set(out.size() - 1, seg.get(3 * i + 1));
                    else { out.add(seg.get(3 * i)); out.add(seg.get(3 * i + 1)); }
                    previousMatch = isMatch;
                }
            }
            case MERGED_WITH_NEXT -> {
                IntList reversed = new IntList(count * 2); // pairs in reverse order
                for (int i = count - 1; i >= 0; i--) {
                    boolean isMatch = seg.get(3 * i + 2) == 1;
                    if (isMatch && !previousMatch && reversed.size() > 0) reversed.set(reversed.size() - 2, seg.get(3 * i));
                    else { reversed.add(seg.get(3 * i)); reversed.add(seg.get(3 * i + 1)); }
                    previousMatch = isMatch;
                }
                for (int i = reversed.size() - 2; i >= 0; i -= 2) { out.add(reversed.get(i)); out.add(reversed.get(i + 1)); }
            }
            case CONTIGUOUS -> {
                for (int i = 0; i < count; i++) {
                    boolean isMatch = seg.get(3 * i + 2) == 1;
                    if (isMatch == previousMatch && out.size() > 0) out.set(out.size() - 1, seg.get(3 * i + 1));
                    else { out.add(seg.get(3 * i)); out.add(seg.get(3 * i + 1)); }
                    previousMatch = isMatch;
                }
            }
            default -> throw new AssertionError(this);
        }
        for (int i = 0; i < out.size(); i += 2) emit(text, out.get(i), out.get(i + 1), atStart, sink);
    }

    private static void addSegment(IntList seg, int start, int end, boolean isMatch) {
        seg.add(start);
        seg.add(end);
        seg.add(isMatch ? 1 : 0);
    }

    private static void emit(String text, int from, int to, boolean atStart, PreTokenizer.Sink sink) {
        if (to > from) sink.accept(from == 0 && to == text.length() ? text : text.substring(from, to), atStart && from == 0);
    }
}
