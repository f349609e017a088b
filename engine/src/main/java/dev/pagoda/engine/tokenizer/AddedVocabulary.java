package dev.pagoda.engine.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The {@code "added_tokens"} of a {@code tokenizer.json} (special tokens such as {@code <s>} or
 * {@code <|eot_id|>}, and extra non-special tokens): they are cut out of the input before the
 * model sees it, exactly as Hugging Face's {@code AddedVocabulary::extract_and_normalize} does.
 *
 * <p>Tokens with {@code normalized: false} are matched in the raw text; then each remaining piece is
 * normalized and tokens with {@code normalized: true} are matched in the normalized piece. Matching
 * is leftmost-longest (Aho-Corasick in Hugging Face; a character trie here), then filtered by
 * {@code single_word} and widened by {@code lstrip}/{@code rstrip}.
 */
final class AddedVocabulary {
    /** One entry of {@code added_tokens}. */
    record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
                      boolean normalized, boolean special) {}

    /** A piece of input: either an added token ({@code id >= 0}) or text for the pre-tokenizer. */
    record Segment(String text, int id, boolean atStart) {}

    private final List<AddedToken> tokens;
    private final Trie raw;
    private final Trie normalizedTrie;

    AddedVocabulary(List<AddedToken> tokens, UnaryOperator<String> normalizer) {
        this.tokens = List.copyOf(tokens);
        raw = new Trie();
        normalizedTrie = new Trie();
        for (AddedToken t : tokens) {
            if (t.content().isEmpty()) continue;
            if (t.normalized()) normalizedTrie.add(normalizer.apply(t.content()), t);
            else raw.add(t.content(), t);
        }
    }

    List<AddedToken> tokens() {
        return tokens;
    }

    static List<AddedToken> fromJson(Object json) {
        List<AddedToken> out = new ArrayList<>();
        if (json == null) return out;
        if (!(json instanceof List<?> list)) throw new TokenizerException("tokenizer.json: added_tokens must be an array");
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> m) || !(m.get("id") instanceof Long id) || !(m.get("content") instanceof String content)) {
                throw new TokenizerException("tokenizer.json: each added_tokens entry needs an integer 'id' and a string 'content'");
            }
            if (id < 0 || id > Tokenizer.MAX_TOKEN_ID) {
                throw new TokenizerException("tokenizer.json: added token '" + content + "' has id " + id + ", outside [0, " + Tokenizer.MAX_TOKEN_ID + "]");
            }
            out.add(new AddedToken(id.intValue(), content, JsonFields.bool(m, "single_word", false),
                    JsonFields.bool(m, "lstrip", false), JsonFields.bool(m, "rstrip", false),
                    JsonFields.bool(m, "normalized", true), JsonFields.bool(m, "special", false)));
        }
        return out;
    }

    /** Splits input into added tokens and normalized text pieces, in order. */
    List<Segment> extractAndNormalize(String text, UnaryOperator<String> normalizer) {
        List<Segment> out = new ArrayList<>();
        List<Segment> first = new ArrayList<>();
        split(text, true, raw, first);
        for (Segment s : first) {
            if (s.id() >= 0) out.add(s);
            else split(normalizer.apply(s.text()), s.atStart(), normalizedTrie, out);
        }
        return out;
    }

    /** Hugging Face's {@code find_matches} + {@code split_with_indices}; empty text pieces are dropped. */
    private static void split(String text, boolean atStart, Trie trie, List<Segment> out) {
        if (trie.isEmpty()) {
            if (!text.isEmpty()) out.add(new Segment(text, -1, atStart));
            return;
        }
        int startOffset = 0;
        int pos = 0;
        while (pos < text.length()) {
            long match = trie.longestAt(text, pos);
            if (match < 0) {
                pos++;
                continue;
            }
            int end = (int) (match >>> 32);
            AddedToken token = trie.token((int) match);
            int start = pos;
            int stop = end;
            pos = end; // matches never overlap: the search goes on after this one, accepted or not
            if (token.singleWord()) {
                boolean startSpace = start == 0 || !endsWithWordChar(text, start);
                boolean stopSpace = stop == text.length() || !startsWithWordChar(text, stop);
                if (!startSpace || !stopSpace) continue;
            }
            if (token.lstrip()) {
                int s = start;
                while (s > 0 && CharClasses.isWhiteSpace(text.codePointBefore(s))) s -= Character.charCount(text.codePointBefore(s));
                start = Math.max(s, startOffset);
            }
            if (token.rstrip()) {
                while (stop < text.length() && CharClasses.isWhiteSpace(text.codePointAt(stop))) stop += Character.charCount(text.codePointAt(stop));
            }
            if (startOffset < start) out.add(new Segment(text.substring(startOffset, start), -1, atStart && startOffset == 0));
            out.add(new Segment(text.substring(start, stop), token.id(), atStart && start == 0));
            startOffset = stop;
        }
        if (startOffset < text.length()) out.add(new Segment(text.substring(startOffset), -1, atStart && startOffset == 0));
    }

    private static boolean isWordChar(int c) {
        return Character.isAlphabetic(c) || CharClasses.isNumber(c);
    }

    private static boolean endsWithWordChar(String s, int end) {
        return end > 0 && isWordChar(s.codePointBefore(end));
    }

    private static boolean startsWithWordChar(String s, int start) {
        return start < s.length() && isWordChar(s.codePointAt(start));
    }

    /** A character trie over the token contents, with a first-character filter for the common miss. */
    private static final class Trie {
        private final Node root = new Node();
        private final boolean[] firstChars = new boolean[65536];
        private final List<AddedToken> tokens = new ArrayList<>();

        private static final class Node {
            final Map<Character, Node> children = new HashMap<>(4);
            int token = -1;
        }

        boolean isEmpty() {
            return tokens.isEmpty();
        }

        void add(String content, AddedToken token) {
            if (content.isEmpty()) return;
            Node n = root;
            for (int i = 0; i < content.length(); i++) n = n.children.computeIfAbsent(content.charAt(i), c -> new Node());
            if (n.token < 0) { // the first of duplicate contents wins, like Hugging Face's content map
                n.token = tokens.size();
                tokens.add(token);
            }
            firstChars[content.charAt(0)] = true;
        }

        AddedToken token(int index) {
            return tokens.get(index);
        }

        /** The longest token starting at {@code pos}, as (end &lt;&lt; 32 | token index), or -1. */
        long longestAt(String text, int pos) {
            if (!firstChars[text.charAt(pos)]) return -1;
            Node n = root;
            long best = -1;
            for (int i = pos; i < text.length(); i++) {
                n = n.children.get(text.charAt(i));
                if (n == null) break;
                if (n.token >= 0) best = ((long) (i + 1) << 32) | n.token;
            }
            // A match must not end between the halves of a surrogate pair.
            if (best >= 0) {
                int end = (int) (best >>> 32);
                if (end < text.length() && Character.isLowSurrogate(text.charAt(end)) && Character.isHighSurrogate(text.charAt(end - 1))) return -1;
            }
            return best;
        }
    }
}
