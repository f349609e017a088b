package dev.pagoda.engine.tokenizer;

/**
 * The Unicode character classes the pre-tokenizer patterns use, with the meaning they have in
 * Rust/Oniguruma ({@code \s} is the White_Space property, not Java's ASCII default).
 */
final class CharClasses {
    private CharClasses() {}

    /** Unicode White_Space (Rust's {@code char::is_whitespace}, Oniguruma's {@code \s}). */
    static boolean isWhiteSpace(int c) {
        if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
        return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A)
                || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /** {@code \p{L}}. */
    static boolean isLetter(int c) {
        if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
        return Character.isLetter(c);
    }

    /** {@code \p{N}} (Nd, Nl, No). */
    static boolean isNumber(int c) {
        if (c < 0x80) return c >= '0' && c <= '9';
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** {@code \p{M}} (Mn, Mc, Me). */
    static boolean isMark(int c) {
        if (c < 0x300) return false;
        int t = Character.getType(c);
        return t == Character.NON_SPACING_MARK || t == Character.COMBINING_SPACING_MARK || t == Character.ENCLOSING_MARK;
    }
}
