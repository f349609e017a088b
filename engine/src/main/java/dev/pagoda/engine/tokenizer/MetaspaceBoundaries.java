package dev.pagoda.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Cuts a long SentencePiece-style word (these files pass whole sentences to BPE, with "▁" for
 * spaces) before each run of "▁", where no merge can cross: then the pieces are short, cacheable
 * words and BPE gives the same ids as on the whole.
 *
 * <p>Why it is exact: the first merge that crossed a cut would join a symbol ending in a non-"▁"
 * character with one starting with "▁", making a vocabulary token with "▁" right after another
 * character. We list those tokens (Gemma 3 has one, {@code >▁</}; Llama 2 and Mistral none) and do
 * not cut where one of them occurs in the text. If there are many, or one contains a byte token,
 * or "▁" itself is not a token, we never cut.
 */
final class MetaspaceBoundaries {
    private static final char META = '\u2581';
    private static final int MAX_CROSSING_TOKENS = 64;

    /** Tokens with "▁" right after another character. */
    private final List<String> crossing;

    private MetaspaceBoundaries(List<String> crossing) {
        this.crossing = crossing;
    }

    /** The splitter for a vocabulary, or null when cutting would not be provably exact. */
    static MetaspaceBoundaries forVocabulary(Set<String> tokens) {
        if (!tokens.contains(String.valueOf(META))) return null;
        List<String> crossing = new ArrayList<>();
        for (String t : tokens) {
            for (int i = 1; i < t.length(); i++) {
                if (t.charAt(i) == META && t.charAt(i - 1) != META) {
                    if (t.contains("<0x") || crossing.size() == MAX_CROSSING_TOKENS) return null;
                    crossing.add(t);
                    break;
                }
            }
        }
        return new MetaspaceBoundaries(List.copyOf(crossing));
    }

    /** Start offsets of the pieces of {@code word} (the first is 0). */
    IntList cuts(String word) {
        IntList cuts = new IntList(word.length() / 4 + 1);
        cuts.add(0);
        boolean[] blocked = null;
        for (String t : crossing) {
            for (int p = word.indexOf(t); p >= 0; p = word.indexOf(t, p + 1)) {
                if (blocked == null) blocked = new boolean[word.length()];
                for (int k = p + 1; k < p + t.length(); k++) blocked[k] = true;
            }
        }
        for (int i = 1; i < word.length(); i++) {
            if (word.charAt(i) == META && word.charAt(i - 1) != META && (blocked == null || !blocked[i])) cuts.add(i);
        }
        return cuts;
    }
}
