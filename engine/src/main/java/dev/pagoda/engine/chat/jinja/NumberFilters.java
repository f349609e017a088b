package dev.pagoda.engine.chat.jinja;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * The jinja2 filters that convert or round one number: {@code int}, {@code float}, {@code round},
 * with Python's parsing rules for numeric strings. {@link Filters} dispatches to them.
 */
final class NumberFilters {
    private NumberFilters() {}

    static Object toInt(Object v, Object dflt, Object base) {
        if (v instanceof Undefined u) throw u.error(); // Undefined.__int__ raises
        if (v instanceof Boolean b) return b ? 1L : 0L;
        if (v instanceof Long) return v;
        if (v instanceof Double d) return Double.isFinite(d) ? (Object) (long) (double) d : dflt;
        if (v instanceof String s) {
            String t = PyStrings.strip(s, null).replace("_", "");
            try {
                return Long.parseLong(t.startsWith("+") ? t.substring(1) : t, (int) PyValues.toLong(base));
            } catch (NumberFormatException e) {
                Object f = toFloat(s, null);
                return f instanceof Double d && Double.isFinite(d) ? (Object) (long) (double) d : dflt;
            }
        }
        return dflt;
    }

    static Object toFloat(Object v, Object dflt) {
        if (v instanceof Undefined u) throw u.error(); // Undefined.__float__ raises
        if (PyValues.isNumber(v)) return PyValues.toDouble(v);
        if (v instanceof String s) {
            String t = PyStrings.strip(s, null).replace("_", "").toLowerCase(Locale.ROOT);
            if (t.matches("[+-]?(inf|infinity)")) return t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            if (t.matches("[+-]?nan")) return Double.NaN;
            if (t.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)(e[+-]?\\d+)?")) return Double.parseDouble(t);
        }
        return dflt;
    }

    static Object round(Object v, long precision, String method) {
        if (!PyValues.isNumber(v)) throw new TemplateException("TypeError: round needs a number, got " + PyValues.typeName(v));
        double x = PyValues.toDouble(v);
        if (!Double.isFinite(x)) return x;
        RoundingMode mode = switch (method) {
            case "common" -> RoundingMode.HALF_EVEN;
            case "ceil" -> RoundingMode.CEILING;
            case "floor" -> RoundingMode.FLOOR;
            default -> throw new TemplateException("FilterArgumentError: method must be common, ceil or floor");
        };
        if (method.equals("common") && PyValues.isInt(v)) { // round(int, n) stays an int
            if (precision >= 0) return PyValues.toLong(v);
            return new BigDecimal(PyValues.toLong(v)).setScale((int) precision, RoundingMode.HALF_EVEN).longValue();
        }
        return new BigDecimal(x).setScale((int) precision, mode).doubleValue();
    }
}
