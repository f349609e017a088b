package dev.pagoda.engine.tokenizer;

import java.util.regex.Pattern;

/**
 * The pre-tokenizer regexes of the byte-level BPE families, matched by hand.
 *
 * <p>(Placeholder: runs the regex through java.util.regex until the scanner lands.)
 */
enum GptPatternScanner implements SplitPattern {
    /** GPT-2's ByteLevel pattern. */
    GPT2("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"),
    /** Llama 3: case-insensitive contractions, numbers in groups of up to three. */
    LLAMA3("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
    /** Qwen2/2.5/3: as Llama 3 but single digits. */
    QWEN2("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
    /** Mistral Nemo (Tekken): case-aware words, single digits, "/" kept with punctuation. */
    TEKKEN("[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    /** The regex exactly as it appears in tokenizer.json. */
    final String regex;
    private final Pattern pattern;

    GptPatternScanner(String regex) {
        this.regex = regex;
        this.pattern = Regexes.compile(regex);
    }

    static GptPatternScanner forRegex(String regex) {
        for (GptPatternScanner s : values()) if (s.regex.equals(regex)) return s;
        return null;
    }

    @Override
    public IntList find(String text) {
        return new Regex(pattern).find(text);
    }
}
