package dev.pagoda.engine.tokenizer;

import java.util.regex.Pattern;

/**
 * The pre-tokenizer regexes of the byte-level BPE families, matched by a hand-written scanner
 * instead of a backtracking regex engine (several times faster, and no backtracking blow-up).
 *
 * <p>Each scanner tries the regex's alternatives in order at the current position and resolves
 * the backtracking cases by hand; comments give the alternative each step implements. Every
 * character falls under some alternative, so the matches tile the text. {@code GptPatternScannerTest}
 * checks each scanner against {@link java.util.regex} running the original regex.
 */
enum GptPatternScanner implements SplitPattern {
    /** GPT-2's ByteLevel pattern. */
    GPT2("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+") {
        @Override
        int matchAt(String s, int i) {
            int n = s.length();
            char c = s.charAt(i);
            if (c == '\'') { // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive)
                int e = contraction(s, i, false);
                if (e > 0) return e;
            }
            int afterSpace = c == ' ' && i + 1 < n ? i + 1 : -1;
            int next = afterSpace >= 0 ? classAt(s, afterSpace) : 0;
            int here = classAt(s, i);
            if (afterSpace >= 0 && (next & L) != 0) return run(s, afterSpace, L); // ' ?\p{L}+'
            if ((here & L) != 0) return run(s, i, L);
            if (afterSpace >= 0 && (next & N) != 0) return run(s, afterSpace, N); // ' ?\p{N}+'
            if ((here & N) != 0) return run(s, i, N);
            if (afterSpace >= 0 && isOther(next)) return runOther(s, afterSpace); // ' ?[^\s\p{L}\p{N}]+'
            if (isOther(here)) return runOther(s, i);
            return whitespace(s, i); // '\s+(?!\S)|\s+'
        }
    },
    /** Llama 3: case-insensitive contractions, numbers in groups of up to three. */
    LLAMA3("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+") {
        @Override
        int matchAt(String s, int i) {
            return llamaStyle(s, i, 3);
        }
    },
    /** Qwen2/2.5/3: as Llama 3 but single digits. */
    QWEN2("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+") {
        @Override
        int matchAt(String s, int i) {
            return llamaStyle(s, i, 1);
        }
    },
    /** Mistral Nemo (Tekken): case-aware words, single digits, "/" kept with punctuation. */
    TEKKEN("[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+") {
        @Override
        int matchAt(String s, int i) {
            int n = s.length();
            int here = classAt(s, i);
            int next = i + Character.charCount(s.codePointAt(i));
            boolean prefix = isPrefix(here) && next < n; // [^\r\n\p{L}\p{N}]?
            int e;
            if (prefix && (e = upperThenLower(s, next)) >= 0) return e; // P? U* L+
            if ((e = upperThenLower(s, i)) >= 0) return e;
            if (prefix && (classAt(s, next) & UP) != 0) return run(s, run(s, next, UP), LO); // P? U+ L*
            if ((here & UP) != 0) return run(s, run(s, i, UP), LO);
            if ((here & N) != 0) return next; // \p{N}
            int afterSpace = s.charAt(i) == ' ' && i + 1 < n ? i + 1 : -1; // ' ?[^\s\p{L}\p{N}]+[\r\n/]*'
            int start = afterSpace >= 0 && isOther(classAt(s, afterSpace)) ? afterSpace : i;
            if (isOther(classAt(s, start))) return run(s, runOther(s, start), NL | SLASH);
            return newlinesOrWhitespace(s, i);
        }

        /** {@code U*L+} at {@code s}: U* greedy, then backtrack until an L+ fits; -1 if none does. */
        private static int upperThenLower(String str, int s) {
            int u = run(str, s, UP);
            for (int k = u; ; ) {
                if (k < str.length() && (classAt(str, k) & LO) != 0) return run(str, k, LO);
                if (k == s) return -1;
                k = str.offsetByCodePoints(k, -1);
            }
        }
    };

    // Character classes as bits, so that one lookup answers every question about a code point.
    private static final int L = 1;      // \p{L}
    private static final int N = 2;      // \p{N}
    private static final int WS = 4;     // \s (Unicode White_Space)
    private static final int NL = 8;     // \r or \n
    private static final int UP = 16;    // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
    private static final int LO = 32;    // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
    private static final int SLASH = 64; // '/'
    /** [128] classes of the ASCII characters. */
    private static final int[] ASCII = new int[128];

    static {
        for (int c = 0; c < 128; c++) {
            int k = 0;
            if (c >= 'A' && c <= 'Z') k = L | UP;
            else if (c >= 'a' && c <= 'z') k = L | LO;
            else if (c >= '0' && c <= '9') k = N;
            else if (CharClasses.isWhiteSpace(c)) k = WS | (c == '\r' || c == '\n' ? NL : 0);
            else if (c == '/') k = SLASH;
            ASCII[c] = k;
        }
    }

    /** The regex exactly as it appears in tokenizer.json. */
    final String regex;

    GptPatternScanner(String regex) {
        this.regex = regex;
    }

    static GptPatternScanner forRegex(String regex) {
        for (GptPatternScanner s : values()) if (s.regex.equals(regex)) return s;
        return null;
    }

    /** The regex compiled for java.util.regex (the scanner's specification, for tests). */
    Pattern pattern() {
        return Regexes.compile(regex);
    }

    /** End of the match starting at {@code i} (every position starts a match in these patterns). */
    abstract int matchAt(String s, int i);

    @Override
    public IntList find(String text) {
        IntList m = new IntList(text.length() / 3 + 2);
        for (int i = 0; i < text.length(); ) {
            int e = matchAt(text, i);
            if (e <= i) throw new IllegalStateException(name() + " scanner made no progress at " + i);
            m.add(i);
            m.add(e);
            i = e;
        }
        return m;
    }

    private static int classOf(int c) {
        if (c < 128) return ASCII[c];
        return switch (Character.getType(c)) {
            case Character.UPPERCASE_LETTER, Character.TITLECASE_LETTER -> L | UP;
            case Character.LOWERCASE_LETTER -> L | LO;
            case Character.MODIFIER_LETTER, Character.OTHER_LETTER -> L | UP | LO;
            case Character.NON_SPACING_MARK, Character.COMBINING_SPACING_MARK, Character.ENCLOSING_MARK -> UP | LO;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> N;
            default -> CharClasses.isWhiteSpace(c) ? WS : 0;
        };
    }

    private static int classAt(String s, int i) {
        char c = s.charAt(i);
        return c < 128 ? ASCII[c] : classOf(s.codePointAt(i));
    }

    /** {@code [^\s\p{L}\p{N}]}. */
    private static boolean isOther(int k) {
        return (k & (L | N | WS)) == 0;
    }

    /** {@code [^\r\n\p{L}\p{N}]}. */
    private static boolean isPrefix(int k) {
        return (k & (L | N | NL)) == 0;
    }

    /** End of the run from {@code i} of code points whose class has a bit of {@code any}. */
    private static int run(String s, int i, int any) {
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c < 128) {
                if ((ASCII[c] & any) == 0) break;
                i++;
            } else {
                int cp = s.codePointAt(i);
                if ((classOf(cp) & any) == 0) break;
                i += Character.charCount(cp);
            }
        }
        return i;
    }

    /** End of the run of {@code [^\s\p{L}\p{N}]} from {@code i}. */
    private static int runOther(String s, int i) {
        int n = s.length();
        while (i < n) {
            int cp = s.codePointAt(i);
            if (!isOther(classOf(cp))) break;
            i += Character.charCount(cp);
        }
        return i;
    }

    /** {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)} (or case-sensitive) at an apostrophe; -1 if none. */
    private static int contraction(String s, int i, boolean ignoreCase) {
        int n = s.length();
        if (i + 1 >= n) return -1;
        char a = fold(s.charAt(i + 1), ignoreCase);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
        if (i + 2 >= n) return -1;
        char b = fold(s.charAt(i + 2), ignoreCase);
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
        return -1;
    }

    /** Unicode simple case folding for the letters the contractions use ('ſ' folds to 's'). */
    private static char fold(char c, boolean ignoreCase) {
        if (!ignoreCase) return c;
        if (c == '\u017F') return 's';
        return c < 128 ? (char) (c | (c >= 'A' && c <= 'Z' ? 0x20 : 0)) : c;
    }

    /** Llama 3 and Qwen2: the same regex except the length of number groups. */
    private static int llamaStyle(String s, int i, int maxDigits) {
        int n = s.length();
        if (s.charAt(i) == '\'') { // (?i:'s|'t|'re|'ve|'m|'ll|'d)
            int e = contraction(s, i, true);
            if (e > 0) return e;
        }
        int here = classAt(s, i);
        int next = i + Character.charCount(s.codePointAt(i));
        if (isPrefix(here) && next < n && (classAt(s, next) & L) != 0) return run(s, next, L); // [^\r\n\p{L}\p{N}]?\p{L}+
        if ((here & L) != 0) return run(s, i, L);
        if ((here & N) != 0) { // \p{N}{1,maxDigits}
            int e = i;
            for (int k = 0; k < maxDigits && e < n && (classAt(s, e) & N) != 0; k++) e += Character.charCount(s.codePointAt(e));
            return e;
        }
        int afterSpace = s.charAt(i) == ' ' && i + 1 < n ? i + 1 : -1; // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        int start = afterSpace >= 0 && isOther(classAt(s, afterSpace)) ? afterSpace : i;
        if (isOther(classAt(s, start))) return run(s, runOther(s, start), NL);
        return newlinesOrWhitespace(s, i);
    }

    /** {@code \s*[\r\n]+|\s+(?!\S)|\s+} at a whitespace character. */
    private static int newlinesOrWhitespace(String s, int i) {
        int j = run(s, i, WS);
        for (int k = j - 1; k >= i; k--) { // \s*[\r\n]+ backtracks to just after the last newline
            char c = s.charAt(k);
            if (c == '\r' || c == '\n') return k + 1;
        }
        return whitespace(s, i);
    }

    /** {@code \s+(?!\S)|\s+}: a whitespace run, leaving its last character to the next word. */
    private static int whitespace(String s, int i) {
        int j = run(s, i, WS);
        if (j == s.length() || j - i < 2) return j; // at the end, or a single character (\s+)
        return j - 1; // whitespace characters are all in the BMP
    }
}
