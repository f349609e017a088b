package dev.pagoda.engine.chat.jinja;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Python value semantics over the Java types templates see: {@code null} (None), {@link Boolean},
 * {@link Long} (int), {@link Double} (float), {@link String}, {@link List}, {@link Map} (dict, in
 * insertion order), {@link Undefined}, {@link Namespace}, {@link LoopContext}, {@link JinjaCallable}.
 * Truthiness, {@code str()}, {@code repr()}, {@code ==}, ordering, {@code len()} and iteration.
 */
final class PyValues {
    private PyValues() {}

    /** The string value of a str or Markup, else null. */
    static String asString(Object v) {
        if (v instanceof String s) return s;
        if (v instanceof Markup m) return m.text();
        return null;
    }

    /** Markup behaves as the string it wraps everywhere except {@code +}. */
    static Object plain(Object v) {
        return v instanceof Markup m ? m.text() : v;
    }

    static String typeName(Object v) {
        if (v == null) return "NoneType";
        if (v instanceof Markup) return "Markup";
        if (v instanceof Boolean) return "bool";
        if (v instanceof Long) return "int";
        if (v instanceof Double) return "float";
        if (v instanceof String) return "str";
        if (v instanceof PyTuple) return "tuple";
        if (v instanceof List) return "list";
        if (v instanceof Map) return "dict";
        if (v instanceof Undefined) return "Undefined";
        if (v instanceof Namespace) return "Namespace";
        if (v instanceof LoopContext) return "LoopContext";
        if (v instanceof JinjaCallable) return "function";
        if (v instanceof PyGenerator) return "generator";
        return "object";
    }

    static boolean truthy(Object v) {
        v = plain(v);
        if (v == null || v instanceof Undefined) return false;
        if (v instanceof Boolean b) return b;
        if (v instanceof Long l) return l != 0;
        if (v instanceof Double d) return d != 0.0;
        if (v instanceof String s) return !s.isEmpty();
        if (v instanceof List<?> l) return !l.isEmpty();
        if (v instanceof Map<?, ?> m) return !m.isEmpty();
        return true;
    }

    /** Python's {@code str(v)}; undefined prints as empty. */
    static String str(Object v) {
        if (v instanceof String s) return s;
        if (v instanceof Markup m) return m.text();
        if (v instanceof Undefined) return "";
        StringBuilder sb = new StringBuilder();
        appendRepr(sb, v, false);
        return sb.toString();
    }

    /** Python's {@code repr(v)}. */
    static String repr(Object v) {
        StringBuilder sb = new StringBuilder();
        appendRepr(sb, v, true);
        return sb.toString();
    }

    private static void appendRepr(StringBuilder sb, Object v, boolean quoteStrings) {
        if (v instanceof Markup m) {
            if (quoteStrings) sb.append("Markup(");
            appendRepr(sb, m.text(), quoteStrings);
            if (quoteStrings) sb.append(')');
        } else if (v == null) sb.append("None");
        else if (v instanceof Boolean b) sb.append(b ? "True" : "False");
        else if (v instanceof Long l) sb.append(l);
        else if (v instanceof Double d) sb.append(floatRepr(d));
        else if (v instanceof String s) {
            if (quoteStrings) appendStringRepr(sb, s);
            else sb.append(s);
        } else if (v instanceof List<?> list) {
            boolean tuple = v instanceof PyTuple;
            sb.append(tuple ? '(' : '[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) sb.append(", ");
                appendRepr(sb, list.get(i), true);
            }
            if (tuple && list.size() == 1) sb.append(',');
            sb.append(tuple ? ')' : ']');
        } else if (v instanceof Map<?, ?> map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) sb.append(", ");
                first = false;
                appendRepr(sb, e.getKey(), true);
                sb.append(": ");
                appendRepr(sb, e.getValue(), true);
            }
            sb.append('}');
        } else if (v instanceof Undefined) {
            if (quoteStrings) sb.append("Undefined");
        } else if (v instanceof Namespace ns) {
            sb.append("<Namespace ");
            appendRepr(sb, ns.attrs, true);
            sb.append('>');
        } else {
            sb.append('<').append(typeName(v)).append(" object>");
        }
    }

    /** Python's {@code float.__repr__}: shortest round-trip digits, exponent form outside 1e-4 ≤ |x| < 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0.0) return (1.0 / d < 0) ? "-0.0" : "0.0";
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int decpt = digits.length() - bd.scale();
        StringBuilder sb = new StringBuilder();
        if (d < 0) sb.append('-');
        if (decpt > 16 || decpt < -3) {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) sb.append('.').append(digits, 1, digits.length());
            int e = decpt - 1;
            sb.append('e').append(e < 0 ? '-' : '+');
            if (Math.abs(e) < 10) sb.append('0');
            sb.append(Math.abs(e));
        } else if (decpt <= 0) {
            sb.append("0.").append("0".repeat(-decpt)).append(digits);
        } else if (decpt >= digits.length()) {
            sb.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
        } else {
            sb.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
        }
        return sb.toString();
    }

    private static void appendStringRepr(StringBuilder sb, String s) {
        char quote = (s.indexOf('\'') >= 0 && s.indexOf('"') < 0) ? '"' : '\'';
        sb.append(quote);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == quote || cp == '\\') sb.append('\\').appendCodePoint(cp);
            else if (cp == '\t') sb.append("\\t");
            else if (cp == '\n') sb.append("\\n");
            else if (cp == '\r') sb.append("\\r");
            else if (isPrintable(cp)) sb.appendCodePoint(cp);
            else if (cp < 0x100) sb.append(String.format("\\x%02x", cp));
            else if (cp < 0x10000) sb.append(String.format("\\u%04x", cp));
            else sb.append(String.format("\\U%08x", cp));
        }
        sb.append(quote);
    }

    /** Python's {@code str.isprintable()} for one code point. */
    static boolean isPrintable(int cp) {
        if (cp < 0x7f) return cp >= 0x20;
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                 Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static boolean isInt(Object v) {
        return v instanceof Long || v instanceof Boolean;
    }

    static long toLong(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        return ((Number) v).longValue();
    }

    static double toDouble(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        return ((Number) v).doubleValue();
    }

    /** Python's {@code ==}: numbers compare by value across bool/int/float; containers deeply. */
    static boolean equal(Object a, Object b) {
        a = plain(a);
        b = plain(b);
        if (a == b) return true;
        if (a == null || b == null) return false;
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) return toDouble(a) == toDouble(b);
            return toLong(a) == toLong(b);
        }
        if (a instanceof String s) return s.equals(b);
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) return false;
            for (int i = 0; i < x.size(); i++) if (!equal(x.get(i), y.get(i))) return false;
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) return false;
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !equal(e.getValue(), y.get(e.getKey()))) return false;
            }
            return true;
        }
        if (a instanceof Undefined && b instanceof Undefined) return true;
        return false;
    }

    /** Python's ordering ({@code <}); a TypeError for mixed types as in Python. */
    static int compare(Object a, Object b) {
        a = plain(a);
        b = plain(b);
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) return Double.compare(toDouble(a), toDouble(b));
            return Long.compare(toLong(a), toLong(b));
        }
        if (a instanceof String x && b instanceof String y) return compareCodePoints(x, y);
        if (a instanceof List<?> x && b instanceof List<?> y) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!equal(x.get(i), y.get(i))) return compare(x.get(i), y.get(i));
            }
            return Integer.compare(x.size(), y.size());
        }
        if (a instanceof Undefined u) throw u.error();
        if (b instanceof Undefined u) throw u.error();
        throw new TemplateException("TypeError: '<' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'");
    }

    /** Strings ordered by code point, as Python does (Java's compareTo orders UTF-16 units). */
    static int compareCodePoints(String x, String y) {
        int i = 0, j = 0;
        while (i < x.length() && j < y.length()) {
            int a = x.codePointAt(i), b = y.codePointAt(j);
            if (a != b) return Integer.compare(a, b);
            i += Character.charCount(a);
            j += Character.charCount(b);
        }
        return Boolean.compare(i < x.length(), j < y.length());
    }

    /** Python's {@code len(v)}; undefined has length 0. */
    static long length(Object v) {
        v = plain(v);
        if (v instanceof String s) return PyStrings.length(s);
        if (v instanceof List<?> l) return l.size();
        if (v instanceof Map<?, ?> m) return m.size();
        if (v instanceof Undefined) return 0;
        if (v instanceof Namespace) throw new TemplateException("TypeError: object of type 'Namespace' has no len()");
        throw new TemplateException("TypeError: object of type '" + typeName(v) + "' has no len()");
    }

    /** Python's {@code list(iter(v))}: strings give characters, dicts their keys, undefined nothing. */
    static List<Object> iterate(Object v) {
        v = plain(v);
        if (v instanceof List<?> l) return new ArrayList<>(l);
        if (v instanceof Map<?, ?> m) return new ArrayList<>(m.keySet());
        if (v instanceof String s) return PyStrings.chars(s);
        if (v instanceof Undefined) return new ArrayList<>();
        if (v instanceof PyGenerator g) return g.drain();
        throw new TemplateException("TypeError: '" + typeName(v) + "' object is not iterable");
    }

    static boolean isIterable(Object v) {
        return v instanceof List || v instanceof Map || v instanceof String || v instanceof Markup || v instanceof Undefined || v instanceof PyGenerator;
    }

    /** Python's {@code x in container}. */
    static boolean contains(Object container, Object item) {
        container = plain(container);
        item = plain(item);
        if (container instanceof String s) {
            if (!(item instanceof String sub)) throw new TemplateException("TypeError: 'in <string>' requires string as left operand, not " + typeName(item));
            return s.contains(sub);
        }
        if (container instanceof Map<?, ?> m) {
            if ((item instanceof List && !(item instanceof PyTuple)) || item instanceof Map || item instanceof Namespace) {
                throw new TemplateException("TypeError: unhashable type: '" + typeName(item) + "'");
            }
            for (Object k : m.keySet()) if (equal(k, item)) return true;
            return false;
        }
        if (container instanceof List<?> l) {
            for (Object x : l) if (equal(x, item)) return true;
            return false;
        }
        if (container instanceof Undefined) return false;
        if (container instanceof PyGenerator g) return contains(g.drain(), item);
        throw new TemplateException("TypeError: argument of type '" + typeName(container) + "' is not iterable");
    }

    /** Looks up a dict key with Python's hashing equality (so {@code d[1]} finds key {@code 1.0}). */
    static Object mapGet(Map<?, ?> m, Object key, Object missing) {
        if (m.containsKey(key)) return m.get(key);
        if (isNumber(key)) {
            Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                if (isNumber(e.getKey()) && equal(e.getKey(), key)) return e.getValue();
            }
        }
        return missing;
    }
}
