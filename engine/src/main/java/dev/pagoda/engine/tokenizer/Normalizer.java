package dev.pagoda.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code "normalizer"} of a {@code tokenizer.json}: rewrites each piece of input text (the text
 * between added tokens) before pre-tokenization. Only the text matters here; offsets are not kept.
 */
sealed interface Normalizer {
    String normalize(String text);

    /** Unicode normalization forms (NFC for Qwen, NFKC for some SentencePiece files). */
    record UnicodeForm(java.text.Normalizer.Form form) implements Normalizer {
        public String normalize(String text) {
            return java.text.Normalizer.normalize(text, form);
        }
    }

    /** Prepends a string to every non-empty piece (SentencePiece's dummy prefix "▁"). */
    record Prepend(String prepend) implements Normalizer {
        public String normalize(String text) {
            return text.isEmpty() ? text : prepend + text;
        }
    }

    /** Replaces every occurrence of a literal string (e.g. " " → "▁"). */
    record Replace(String pattern, String content) implements Normalizer {
        public String normalize(String text) {
            return text.replace(pattern, content);
        }
    }

    /** Replaces every match of a regular expression with a literal string. */
    record RegexReplace(Pattern pattern, String content) implements Normalizer {
        public String normalize(String text) {
            return pattern.matcher(text).replaceAll(Matcher.quoteReplacement(content));
        }
    }

    record Lowercase() implements Normalizer {
        public String normalize(String text) {
            return text.toLowerCase(Locale.ROOT);
        }
    }

    /** Strips Unicode whitespace on the left and/or right. */
    record Strip(boolean left, boolean right) implements Normalizer {
        public String normalize(String text) {
            int start = 0, end = text.length();
            while (left && start < end && CharClasses.isWhiteSpace(text.codePointAt(start))) start += Character.charCount(text.codePointAt(start));
            while (right && end > start && CharClasses.isWhiteSpace(text.codePointBefore(end))) end -= Character.charCount(text.codePointBefore(end));
            return text.substring(start, end);
        }
    }

    record Sequence(List<Normalizer> normalizers) implements Normalizer {
        public String normalize(String text) {
            for (Normalizer n : normalizers) text = n.normalize(text);
            return text;
        }
    }

    /** Reads a normalizer object; null (JSON null) means no normalizer. */
    static Normalizer fromJson(Object json) {
        if (json == null) return null;
        if (!(json instanceof Map<?, ?> m)) throw new TokenizerException("tokenizer.json: normalizer must be an object");
        Object type = m.get("type");
        return switch (String.valueOf(type)) {
            case "NFC" -> new UnicodeForm(java.text.Normalizer.Form.NFC);
            case "NFD" -> new UnicodeForm(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new UnicodeForm(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new UnicodeForm(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> new Lowercase();
            case "Prepend" -> new Prepend(JsonFields.string(m, "prepend", "normalizer Prepend"));
            case "Strip" -> new Strip(!Boolean.FALSE.equals(m.get("strip_left")), !Boolean.FALSE.equals(m.get("strip_right")));
            case "Replace" -> {
                String content = JsonFields.string(m, "content", "normalizer Replace");
                Object pattern = m.get("pattern");
                if (pattern instanceof Map<?, ?> p && p.get("String") instanceof String s) yield new Replace(s, content);
                if (pattern instanceof Map<?, ?> p && p.get("Regex") instanceof String r) yield new RegexReplace(Regexes.compile(r), content);
                throw new TokenizerException("tokenizer.json: normalizer Replace needs pattern {\"String\": ...} or {\"Regex\": ...}");
            }
            case "Sequence" -> {
                List<Normalizer> list = new ArrayList<>();
                for (Object o : JsonFields.list(m, "normalizers", "normalizer Sequence")) {
                    Normalizer n = fromJson(o);
                    if (n != null) list.add(n);
                }
                yield new Sequence(List.copyOf(list));
            }
            default -> throw TokenizerException.unsupported("normalizer", type);
        };
    }
}
