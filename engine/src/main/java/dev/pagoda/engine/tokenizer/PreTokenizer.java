package dev.pagoda.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code "pre_tokenizer"} of a {@code tokenizer.json}: splits normalized text into words that
 * the BPE model encodes independently. Pieces are passed on in order; empty pieces are dropped.
 *
 * <p>{@code atStart} tells whether a piece begins at offset 0 of the original input, which
 * Metaspace's {@code prepend_scheme: "first"} needs.
 */
sealed interface PreTokenizer {
    void split(String text, boolean atStart, Sink sink);

    /** Receives the pieces of a split. */
    @FunctionalInterface
    interface Sink {
        void accept(String piece, boolean atStart);
    }

    /** True if this pre-tokenizer spells words as bytes (the BPE model then starts from bytes). */
    default boolean byteLevel() {
        return false;
    }

    /**
     * GPT-2's byte-level pre-tokenizer. The byte-to-character mapping itself is done by the BPE model
     * (symbols start as bytes), so this only splits; words stay in their original spelling.
     */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        public void split(String text, boolean atStart, Sink sink) {
            if (addPrefixSpace && !text.startsWith(" ")) text = " " + text;
            if (useRegex) SplitBehavior.ISOLATED.apply(text, GptPatternScanner.GPT2.find(text), false, atStart, sink);
            else if (!text.isEmpty()) sink.accept(text, atStart);
        }

        @Override
        public boolean byteLevel() {
            return true;
        }
    }

    /** {@code Split}: a regex or literal pattern with a delimiter behavior, optionally inverted. */
    record Split(SplitPattern pattern, SplitBehavior behavior, boolean invert) implements PreTokenizer {
        public void split(String text, boolean atStart, Sink sink) {
            behavior.apply(text, pattern.find(text), invert, atStart, sink);
        }
    }

    /**
     * SentencePiece's Metaspace: spaces become the replacement character ("▁"), a "▁" is prepended
     * ({@code always}, or {@code first}: only to the piece at the start of the input), and with
     * {@code split} every "▁" starts a new word.
     */
    record Metaspace(char replacement, String prependScheme, boolean splitWords) implements PreTokenizer {
        public void split(String text, boolean atStart, Sink sink) {
            text = text.replace(' ', replacement);
            boolean prepend = switch (prependScheme) {
                case "always" -> true;
                case "first" -> atStart;
                default -> false;
            };
            if (prepend && !text.isEmpty() && text.charAt(0) != replacement) text = replacement + text;
            if (!splitWords) {
                if (!text.isEmpty()) sink.accept(text, atStart);
                return;
            }
            int start = 0;
            for (int i = 1; i <= text.length(); i++) {
                if (i == text.length() || text.charAt(i) == replacement) {
                    if (i > start) sink.accept(text.substring(start, i), atStart && start == 0);
                    start = i;
                }
            }
        }
    }

    /** Splits digits off: each digit alone, or runs of digits (Rust's {@code char::is_numeric}). */
    record Digits(boolean individualDigits) implements PreTokenizer {
        public void split(String text, boolean atStart, Sink sink) {
            IntList matches = new IntList(8);
            for (int i = 0; i < text.length(); ) {
                int c = text.codePointAt(i);
                int n = Character.charCount(c);
                if (CharClasses.isNumber(c)) {
                    matches.add(i);
                    matches.add(i + n);
                }
                i += n;
            }
            (individualDigits ? SplitBehavior.ISOLATED : SplitBehavior.CONTIGUOUS).apply(text, matches, false, atStart, sink);
        }
    }

    /** Splits on whitespace, dropping it. */
    record WhitespaceSplit() implements PreTokenizer {
        public void split(String text, boolean atStart, Sink sink) {
            int start = -1;
            for (int i = 0; i <= text.length(); ) {
                int c = i < text.length() ? text.codePointAt(i) : ' ';
                if (CharClasses.isWhiteSpace(c)) {
                    if (start >= 0) sink.accept(text.substring(start, i), atStart && start == 0);
                    start = -1;
                } else if (start < 0) {
                    start = i;
                }
                i += i < text.length() ? Character.charCount(c) : 1;
            }
        }
    }

    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        public void split(String text, boolean atStart, Sink sink) {
            run(0, text, atStart, sink);
        }

        private void run(int step, String text, boolean atStart, Sink sink) {
            if (step == steps.size()) sink.accept(text, atStart);
            else steps.get(step).split(text, atStart, (piece, start) -> run(step + 1, piece, start, sink));
        }

        @Override
        public boolean byteLevel() {
            return steps.stream().anyMatch(PreTokenizer::byteLevel);
        }
    }

    /** Reads a pre-tokenizer object; null (JSON null) means none. */
    static PreTokenizer fromJson(Object json) {
        if (json == null) return null;
        if (!(json instanceof Map<?, ?> m)) throw new TokenizerException("tokenizer.json: pre_tokenizer must be an object");
        Object type = m.get("type");
        return switch (String.valueOf(type)) {
            case "ByteLevel" -> new ByteLevel(JsonFields.bool(m, "add_prefix_space", true), JsonFields.bool(m, "use_regex", true));
            case "Split" -> new Split(SplitPattern.fromJson(m.get("pattern")),
                    SplitBehavior.fromJson(m.get("behavior")), JsonFields.bool(m, "invert", false));
            case "Metaspace" -> {
                String replacement = JsonFields.string(m, "replacement", "pre_tokenizer Metaspace");
                if (replacement.length() != 1) throw new TokenizerException("tokenizer.json: Metaspace replacement must be one character");
                String scheme = m.get("prepend_scheme") instanceof String s ? s
                        : JsonFields.bool(m, "add_prefix_space", true) ? "always" : "never";
                if (!List.of("always", "first", "never").contains(scheme)) throw TokenizerException.unsupported("Metaspace prepend_scheme", scheme);
                yield new Metaspace(replacement.charAt(0), scheme, JsonFields.bool(m, "split", true));
            }
            case "Digits" -> new Digits(JsonFields.bool(m, "individual_digits", false));
            case "WhitespaceSplit" -> new WhitespaceSplit();
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                for (Object o : JsonFields.list(m, "pretokenizers", "pre_tokenizer Sequence")) steps.add(fromJson(o));
                for (int i = 0; i + 1 < steps.size(); i++) {
                    if (steps.get(i).byteLevel()) {
                        throw new TokenizerException("unsupported tokenizer.json feature: a ByteLevel pre-tokenizer followed by another pre-tokenizer");
                    }
                }
                yield new Sequence(List.copyOf(steps));
            }
            default -> throw TokenizerException.unsupported("pre_tokenizer", type);
        };
    }
}
