package dev.pagoda.engine.chat.jinja;

import java.util.ArrayList;
import java.util.List;

/**
 * Python {@code str} semantics on Java strings: whitespace as {@code str.isspace()} defines it,
 * strip/split/splitlines/title/capitalize, and indexing by code point (Python counts an emoji as
 * one character, Java as two chars).
 */
final class PyStrings {
    private PyStrings() {}

    /** Python's {@code str.isspace()} for one char (all whitespace is in the BMP). */
    static boolean isSpace(char c) {
        return switch (c) {
            case ' ', '\t', '\n', '\u000b', '\f', '\r', '\u001c', '\u001d', '\u001e', '\u001f', '\u0085', '\u00a0',
                 '\u1680', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000' -> true;
            default -> c >= '\u2000' && c <= '\u200a';
        };
    }

    static String strip(String s, String chars) {
        return rstrip(lstrip(s, chars), chars);
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (!stripped(cp, chars)) break;
            i += Character.charCount(cp);
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0) {
            int cp = s.codePointBefore(j);
            if (!stripped(cp, chars)) break;
            j -= Character.charCount(cp);
        }
        return s.substring(0, j);
    }

    private static boolean stripped(int cp, String chars) {
        if (chars == null) return cp < 0x10000 && isSpace((char) cp);
        return chars.indexOf(Character.toString(cp)) >= 0;
    }

    /** {@code str.split(sep, maxsplit)}; {@code sep == null} splits on whitespace runs and drops empty parts. */
    static List<Object> split(String s, String sep, long maxSplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0, n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) i++;
                if (i >= n) break;
                if (maxSplit >= 0 && out.size() >= maxSplit) {
                    out.add(s.substring(i)); // Python keeps the remainder's trailing whitespace
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new TemplateException("ValueError: empty separator");
        int start = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int k = s.indexOf(sep, start);
            if (k < 0) break;
            out.add(s.substring(start, k));
            start = k + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    /** {@code str.rsplit(sep, maxsplit)}. */
    static List<Object> rsplit(String s, String sep, long maxSplit) {
        if (maxSplit < 0) return split(s, sep, -1);
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int j = s.length();
            while (true) {
                while (j > 0 && isSpace(s.charAt(j - 1))) j--;
                if (j <= 0) break;
                if (out.size() >= maxSplit) {
                    out.add(s.substring(0, j));
                    break;
                }
                int i = j;
                while (i > 0 && !isSpace(s.charAt(i - 1))) i--;
                out.add(s.substring(i, j));
                j = i;
            }
        } else {
            if (sep.isEmpty()) throw new TemplateException("ValueError: empty separator");
            int end = s.length();
            while (out.size() < maxSplit) {
                int k = s.lastIndexOf(sep, end - sep.length());
                if (k < 0) break;
                out.add(s.substring(k + sep.length(), end));
                end = k;
            }
            out.add(s.substring(0, end));
        }
        java.util.Collections.reverse(out);
        return out;
    }

    /** Python's line boundaries for {@code str.splitlines()}. */
    private static boolean isLineBreak(char c) {
        return switch (c) {
            case '\n', '\r', '\u000b', '\f', '\u001c', '\u001d', '\u001e', '\u0085', '\u2028', '\u2029' -> true;
            default -> false;
        };
    }

    static List<Object> splitlines(String s, boolean keepEnds) {
        List<Object> out = new ArrayList<>();
        int i = 0, n = s.length();
        while (i < n) {
            int j = i;
            while (j < n && !isLineBreak(s.charAt(j))) j++;
            int eol = j;
            if (j < n) {
                j += (s.charAt(j) == '\r' && j + 1 < n && s.charAt(j + 1) == '\n') ? 2 : 1;
            }
            out.add(s.substring(i, keepEnds ? j : eol));
            i = j;
        }
        return out;
    }

    /** Python's {@code str.capitalize()}: first character title-cased, the rest lower-cased. */
    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int cp = s.codePointAt(0);
        int k = Character.charCount(cp);
        return titleCase(cp) + s.substring(k).toLowerCase(java.util.Locale.ROOT);
    }

    private static String titleCase(int cp) {
        if (Character.isTitleCase(cp)) return Character.toString(cp);
        int t = Character.toTitleCase(cp);
        if (t != cp) return Character.toString(t);
        String upper = Character.toString(cp).toUpperCase(java.util.Locale.ROOT);
        // Full titlecase of a character whose uppercase is several (ß -> "Ss", ﬁ -> "Fi"), as Python's title().
        if (upper.codePointCount(0, upper.length()) > 1) {
            int first = upper.offsetByCodePoints(0, 1);
            return upper.substring(0, first) + upper.substring(first).toLowerCase(java.util.Locale.ROOT);
        }
        return upper;
    }

    /** Python's {@code str.title()}: words are runs of cased letters. */
    static String pyTitle(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            boolean cased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
            if (cased) sb.append(prevCased ? Character.toString(cp).toLowerCase(java.util.Locale.ROOT) : titleCase(cp));
            else sb.appendCodePoint(cp);
            prevCased = cased;
        }
        return sb.toString();
    }

    /** jinja2's {@code title} filter: capitalize each word, words begin after whitespace or {@code -([{<}. */
    static String jinjaTitle(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        int i = 0, n = s.length();
        while (i < n) {
            int j = i;
            boolean sepRun = isWordBreak(s.charAt(i));
            while (j < n && isWordBreak(s.charAt(j)) == sepRun) j++;
            String item = s.substring(i, j);
            if (sepRun) sb.append(item);
            else {
                int cp = item.codePointAt(0);
                sb.append(Character.toString(cp).toUpperCase(java.util.Locale.ROOT))
                        .append(item.substring(Character.charCount(cp)).toLowerCase(java.util.Locale.ROOT));
            }
            i = j;
        }
        return sb.toString();
    }

    private static boolean isWordBreak(char c) {
        return isSpace(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    }

    /** Number of code points (Python's {@code len(str)}). */
    static int length(String s) {
        return s.codePointCount(0, s.length());
    }

    /** The code points of {@code s} as one-character strings (Python's {@code list(str)}). */
    static List<Object> chars(String s) {
        List<Object> out = new ArrayList<>(s.length());
        s.codePoints().forEach(cp -> out.add(Character.toString(cp)));
        return out;
    }

    /** Python {@code str.find} returning a code point index. */
    static long find(String s, String sub, boolean fromRight) {
        int k = fromRight ? s.lastIndexOf(sub) : s.indexOf(sub);
        return k < 0 ? -1 : s.codePointCount(0, k);
    }

    static long count(String s, String sub) {
        if (sub.isEmpty()) return length(s) + 1;
        long c = 0;
        for (int k = s.indexOf(sub); k >= 0; k = s.indexOf(sub, k + sub.length())) c++;
        return c;
    }

    /**
     * Decodes a jinja2 string literal body the way it does ({@code .encode("ascii","backslashreplace")
     * .decode("unicode-escape")}): Python escapes, unknown escapes keep their backslash.
     */
    static String decodeEscapes(String raw, int line) {
        if (raw.indexOf('\\') < 0) return raw;
        StringBuilder sb = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '\\' || i + 1 >= raw.length()) {
                sb.append(c);
                continue;
            }
            char e = raw.charAt(++i);
            switch (e) {
                case '\n' -> { }
                case '\\' -> sb.append('\\');
                case '\'' -> sb.append('\'');
                case '"' -> sb.append('"');
                case 'a' -> sb.append('\u0007');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'v' -> sb.append('\u000b');
                case 'x', 'u', 'U' -> {
                    int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + digits > raw.length() - 1) {
                        throw new TemplateException("truncated \\" + e + " escape in string literal", line);
                    }
                    int cp = 0;
                    for (int k = 1; k <= digits; k++) {
                        int d = Character.digit(raw.charAt(i + k), 16);
                        if (d < 0) throw new TemplateException("bad \\" + e + " escape in string literal", line);
                        cp = cp * 16 + d;
                    }
                    if (!Character.isValidCodePoint(cp)) throw new TemplateException("bad \\" + e + " escape in string literal", line);
                    sb.appendCodePoint(cp);
                    i += digits;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int cp = 0, k = 0;
                        while (k < 3 && i < raw.length() && raw.charAt(i) >= '0' && raw.charAt(i) <= '7') {
                            cp = cp * 8 + (raw.charAt(i) - '0');
                            i++;
                            k++;
                        }
                        i--;
                        sb.appendCodePoint(cp);
                    } else {
                        sb.append('\\').append(e);
                    }
                }
            }
        }
        return sb.toString();
    }
}
