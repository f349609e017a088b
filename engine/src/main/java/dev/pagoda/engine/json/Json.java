package dev.pagoda.engine.json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON reader and writer (RFC 8259) so that the engine stays pure JDK.
 *
 * <p>Values map to plain Java types: object → {@code LinkedHashMap<String,Object>} (key order
 * kept), array → {@code ArrayList<Object>}, string → {@link String}, integer → {@link Long},
 * other number → {@link Double}, {@code true/false} → {@link Boolean}, {@code null} → {@code null}.
 * Model files are untrusted data: nesting depth is bounded and every error names the offset.
 */
public final class Json {
    /** Deeper nesting than this is rejected instead of overflowing the stack. */
    public static final int MAX_DEPTH = 512;

    private final String text;
    private final boolean rejectDuplicateKeys;
    private int pos;

    private Json(String text, boolean rejectDuplicateKeys) {
        this.text = text;
        this.rejectDuplicateKeys = rejectDuplicateKeys;
    }

    /** Parses one JSON value; trailing non-whitespace is an error. A repeated object key keeps its last value. */
    public static Object parse(String text) {
        return parse(text, false);
    }

    /**
     * Parses one JSON value. With {@code rejectDuplicateKeys}, an object that repeats a key is an
     * error naming the key (a safetensors header must not list a tensor twice).
     */
    public static Object parse(String text, boolean rejectDuplicateKeys) {
        Json p = new Json(text, rejectDuplicateKeys);
        p.skipWhitespace();
        Object value = p.readValue(0);
        p.skipWhitespace();
        if (p.pos != text.length()) throw p.error("unexpected trailing characters");
        return value;
    }

    /** Parses a JSON object; anything else is an error. */
    public static Map<String, Object> parseObject(String text) {
        return parseObject(text, false);
    }

    /** Parses a JSON object, optionally rejecting repeated keys (see {@link #parse(String, boolean)}). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text, boolean rejectDuplicateKeys) {
        Object value = parse(text, rejectDuplicateKeys);
        if (!(value instanceof Map)) throw new JsonException("expected a JSON object at the top level");
        return (Map<String, Object>) value;
    }

    private Object readValue(int depth) {
        if (depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH);
        if (pos >= text.length()) throw error("unexpected end of input");
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> readObject(depth);
            case '[' -> readArray(depth);
            case '"' -> readString();
            case 't' -> readLiteral("true", Boolean.TRUE);
            case 'f' -> readLiteral("false", Boolean.FALSE);
            case 'n' -> readLiteral("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) yield readNumber();
                throw error("unexpected character '" + c + "'");
            }
        };
    }

    private Map<String, Object> readObject(int depth) {
        Map<String, Object> map = new LinkedHashMap<>();
        pos++; // '{'
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') throw error("expected a string key");
            String key = readString();
            skipWhitespace();
            if (rejectDuplicateKeys && map.containsKey(key)) throw error("duplicate key \"" + key + "\"");
            expect(':');
            skipWhitespace();
            map.put(key, readValue(depth + 1));
            skipWhitespace();
            char c = next();
            if (c == '}') return map;
            if (c != ',') throw error("expected ',' or '}' in object");
        }
    }

    private List<Object> readArray(int depth) {
        List<Object> list = new ArrayList<>();
        pos++; // '['
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipWhitespace();
            list.add(readValue(depth + 1));
            skipWhitespace();
            char c = next();
            if (c == ']') return list;
            if (c != ',') throw error("expected ',' or ']' in array");
        }
    }

    private String readString() {
        pos++; // opening quote
        StringBuilder sb = null;
        int start = pos;
        while (true) {
            if (pos >= text.length()) throw error("unterminated string");
            char c = text.charAt(pos);
            if (c == '"') {
                String s = sb == null ? text.substring(start, pos) : sb.append(text, start, pos).toString();
                pos++;
                return s;
            }
            if (c < 0x20) throw error("control character in string");
            if (c == '\\') {
                if (sb == null) sb = new StringBuilder();
                sb.append(text, start, pos);
                pos++;
                char e = next();
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (pos + 4 > text.length()) throw error("truncated \\u escape");
                        int code = 0;
                        for (int i = 0; i < 4; i++) {
                            int d = Character.digit(text.charAt(pos++), 16);
                            if (d < 0) throw error("bad hex digit in \\u escape");
                            code = code * 16 + d;
                        }
                        sb.append((char) code);
                    }
                    default -> throw error("bad escape '\\" + e + "'");
                }
                start = pos;
            } else {
                pos++;
            }
        }
    }

    private Object readNumber() {
        int start = pos;
        if (peek() == '-') pos++;
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) pos++;
        } else {
            throw error("bad number");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) throw error("bad number: digit expected after '.'");
            while (isDigit(peek())) pos++;
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') pos++;
            if (!isDigit(peek())) throw error("bad number: digit expected in exponent");
            while (isDigit(peek())) pos++;
        }
        String s = text.substring(start, pos);
        if (integral && pos - start <= 18) return Long.parseLong(s);
        if (integral) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException tooBig) {
                return finiteDouble(s, start);
            }
        }
        return finiteDouble(s, start);
    }

    /** A number past the double range (1e400) would read as Infinity, which JSON cannot write back: refuse it. */
    private double finiteDouble(String s, int start) {
        double d = Double.parseDouble(s);
        if (Double.isInfinite(d)) {
            pos = start;
            throw error("number " + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + " is out of range");
        }
        return d;
    }

    private Object readLiteral(String word, Object value) {
        if (!text.startsWith(word, pos)) throw error("unexpected token");
        pos += word.length();
        return value;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private char next() {
        if (pos >= text.length()) throw error("unexpected end of input");
        return text.charAt(pos++);
    }

    private void expect(char c) {
        if (next() != c) throw error("expected '" + c + "'");
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            pos++;
        }
    }

    private JsonException error(String message) {
        return new JsonException(message + " at offset " + pos);
    }

    // ---------------------------------------------------------------- writing

    /** Writes a value built from the types above (plus int/float/arrays of int) as compact JSON. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        writeTo(sb, value);
        return sb.toString();
    }

    private static void writeTo(StringBuilder sb, Object value) {
        switch (value) {
            case null -> sb.append("null");
            case String s -> writeString(sb, s);
            case Boolean b -> sb.append(b);
            case Double d -> writeFloating(sb, d);
            case Float f -> writeFloating(sb, f);
            case Number n -> sb.append(n);
            case int[] ints -> {
                sb.append('[');
                for (int i = 0; i < ints.length; i++) {
                    if (i > 0) sb.append(',');
                    sb.append(ints[i]);
                }
                sb.append(']');
            }
            case Map<?, ?> map -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!first) sb.append(',');
                    first = false;
                    writeString(sb, String.valueOf(e.getKey()));
                    sb.append(':');
                    writeTo(sb, e.getValue());
                }
                sb.append('}');
            }
            case Iterable<?> list -> {
                sb.append('[');
                boolean first = true;
                for (Object o : list) {
                    if (!first) sb.append(',');
                    first = false;
                    writeTo(sb, o);
                }
                sb.append(']');
            }
            default -> throw new JsonException("cannot write " + value.getClass().getName() + " as JSON");
        }
    }

    private static void writeFloating(StringBuilder sb, double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) throw new JsonException("JSON has no NaN or Infinity");
        sb.append(d);
    }

    /** Writes {@code s} as a JSON string literal, escaping quotes, backslashes and control characters. */
    public static void writeString(StringBuilder sb, String s) {
        writeString(sb, s, false);
    }

    /**
     * As {@link #writeString(StringBuilder, String)}; with {@code escapeNonAscii} every character
     * outside {@code ' '..'~'} becomes a {@code \\u} escape (four hex digits), as Python's {@code json.dumps}
     * does with {@code ensure_ascii=True}.
     */
    public static void writeString(StringBuilder sb, String s, boolean escapeNonAscii) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (escapeNonAscii && c > 0x7e)) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
