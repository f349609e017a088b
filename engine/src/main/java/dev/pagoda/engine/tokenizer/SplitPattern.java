package dev.pagoda.engine.tokenizer;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a {@code Split} pre-tokenizer looks for: all non-overlapping matches, left to right. */
interface SplitPattern {
    /** (start, end) pairs of the matches, in order. */
    IntList find(String text);

    /** A literal string. */
    record Literal(String literal) implements SplitPattern {
        public IntList find(String text) {
            IntList m = new IntList(8);
            if (literal.isEmpty()) return m;
            for (int i = text.indexOf(literal); i >= 0; i = text.indexOf(literal, i + literal.length())) {
                m.add(i);
                m.add(i + literal.length());
            }
            return m;
        }
    }

    /** Any other regular expression, through {@link java.util.regex}. */
    record Regex(Pattern pattern) implements SplitPattern {
        public IntList find(String text) {
            IntList m = new IntList(16);
            Matcher matcher = pattern.matcher(text);
            while (matcher.find()) {
                if (matcher.end() == matcher.start()) continue; // empty matches split nothing
                m.add(matcher.start());
                m.add(matcher.end());
            }
            return m;
        }
    }

    /** Reads {@code {"String": ...}} or {@code {"Regex": ...}}; the known GPT-style regexes get a hand-written scanner. */
    static SplitPattern fromJson(Object json) {
        if (json instanceof Map<?, ?> p && p.get("String") instanceof String s) return new Literal(s);
        if (json instanceof Map<?, ?> p && p.get("Regex") instanceof String r) {
            GptPatternScanner known = GptPatternScanner.forRegex(r);
            return known != null ? known : new Regex(Regexes.compile(r));
        }
        throw new TokenizerException("tokenizer.json: Split pattern must be {\"String\": ...} or {\"Regex\": ...}");
    }
}
