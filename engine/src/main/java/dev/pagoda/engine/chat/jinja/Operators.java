package dev.pagoda.engine.chat.jinja;

import java.util.ArrayList;
import java.util.List;

/**
 * Python's binary and unary operators as jinja2 applies them: {@code + - * / // % ** ~} and
 * unary minus. Strings and lists they build are bounded by {@code maxLen}, so that a template
 * cannot exhaust memory by doubling a string in a loop.
 */
final class Operators {
    private Operators() {}

    static Object binary(String op, Object a, Object b, int maxLen) {
        if (op.equals("~")) return checked(PyValues.str(a) + PyValues.str(b), maxLen);
        if (op.equals("+") && (a instanceof Markup || b instanceof Markup)
                && PyValues.asString(a) != null && PyValues.asString(b) != null) {
            Markup m = Markup.concat(a, b);
            checked(m.text(), maxLen);
            return m;
        }
        a = PyValues.plain(a);
        b = PyValues.plain(b);
        if (op.equals("%") && a instanceof String fmt) return checked(PyFormat.percent(fmt, b), maxLen);
        if (a instanceof Undefined u) throw u.error();
        if (b instanceof Undefined u) throw u.error();
        try {
            return switch (op) {
                case "+" -> add(a, b, maxLen);
                case "-" -> numeric(op, a, b);
                case "*" -> multiply(a, b, maxLen);
                case "/" -> {
                    requireNumbers(op, a, b);
                    double y = PyValues.toDouble(b);
                    if (y == 0) throw new TemplateException("ZeroDivisionError: division by zero");
                    yield PyValues.toDouble(a) / y;
                }
                case "//", "%" -> {
                    if (op.equals("%") && a instanceof String fmt) yield checked(PyFormat.percent(fmt, b), maxLen);
                    yield numeric(op, a, b);
                }
                case "**" -> numeric(op, a, b);
                default -> throw new TemplateException("unknown operator " + op);
            };
        } catch (ArithmeticException e) {
            throw new TemplateException("OverflowError: integer result of '" + op + "' does not fit in 64 bits");
        }
    }

    static Object negate(Object v) {
        if (v instanceof Undefined u) throw u.error();
        if (v instanceof Double d) return -d;
        if (PyValues.isInt(v)) return Math.negateExact(PyValues.toLong(v));
        throw new TemplateException("TypeError: bad operand type for unary -: '" + PyValues.typeName(v) + "'");
    }

    static Object plus(Object v) {
        if (v instanceof Undefined u) throw u.error();
        if (v instanceof Boolean b) return b ? 1L : 0L;
        if (PyValues.isNumber(v)) return v;
        throw new TemplateException("TypeError: bad operand type for unary +: '" + PyValues.typeName(v) + "'");
    }

    private static Object add(Object a, Object b, int maxLen) {
        if (a instanceof String x && b instanceof String y) return checked(x + y, maxLen);
        if (a instanceof List<?> x && b instanceof List<?> y && (a instanceof PyTuple) == (b instanceof PyTuple)) {
            if ((long) x.size() + y.size() > maxLen) throw tooLarge(maxLen);
            List<Object> out = new ArrayList<>(x);
            out.addAll(y);
            return a instanceof PyTuple ? PyTuple.of(out) : out;
        }
        if (a instanceof String) {
            throw new TemplateException("TypeError: can only concatenate str (not \"" + PyValues.typeName(b) + "\") to str");
        }
        if (a instanceof List) {
            throw new TemplateException("TypeError: can only concatenate " + PyValues.typeName(a) + " (not \"" + PyValues.typeName(b) + "\") to " + PyValues.typeName(a));
        }
        return numeric("+", a, b);
    }

    private static Object multiply(Object a, Object b, int maxLen) {
        if (a instanceof String s && PyValues.isInt(b)) return repeat(s, PyValues.toLong(b), maxLen);
        if (b instanceof String s && PyValues.isInt(a)) return repeat(s, PyValues.toLong(a), maxLen);
        if (a instanceof List<?> l && PyValues.isInt(b)) return repeat(l, PyValues.toLong(b), maxLen);
        if (b instanceof List<?> l && PyValues.isInt(a)) return repeat(l, PyValues.toLong(a), maxLen);
        return numeric("*", a, b);
    }

    private static List<Object> repeat(List<?> l, long times, int maxLen) {
        long n = Math.max(0, times);
        if (n * l.size() > maxLen) throw tooLarge(maxLen);
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < n; i++) out.addAll(l);
        return l instanceof PyTuple ? PyTuple.of(out) : out;
    }

    private static String repeat(String s, long n, int maxLen) {
        if (n <= 0) return "";
        if (n * s.length() > maxLen) throw tooLarge(maxLen);
        return s.repeat((int) n);
    }

    private static void requireNumbers(String op, Object a, Object b) {
        if (!PyValues.isNumber(a) || !PyValues.isNumber(b)) {
            throw new TemplateException("TypeError: unsupported operand type(s) for " + op + ": '"
                    + PyValues.typeName(a) + "' and '" + PyValues.typeName(b) + "'");
        }
    }

    private static Object numeric(String op, Object a, Object b) {
        requireNumbers(op, a, b);
        if (a instanceof Double || b instanceof Double) {
            double x = PyValues.toDouble(a), y = PyValues.toDouble(b);
            return switch (op) {
                case "+" -> x + y;
                case "-" -> x - y;
                case "*" -> x * y;
                case "//" -> {
                    if (y == 0) throw new TemplateException("ZeroDivisionError: float floor division by zero");
                    yield Math.floor(x / y);
                }
                case "%" -> {
                    if (y == 0) throw new TemplateException("ZeroDivisionError: float modulo");
                    double m = x % y;
                    yield (m != 0 && (m < 0) != (y < 0)) ? m + y : m;
                }
                case "**" -> {
                    if (x == 0 && y < 0) throw new TemplateException("ZeroDivisionError: 0.0 cannot be raised to a negative power");
                    yield Math.pow(x, y);
                }
                default -> throw new TemplateException("unknown operator " + op);
            };
        }
        long x = PyValues.toLong(a), y = PyValues.toLong(b);
        return switch (op) {
            case "+" -> Math.addExact(x, y);
            case "-" -> Math.subtractExact(x, y);
            case "*" -> Math.multiplyExact(x, y);
            case "//" -> {
                if (y == 0) throw new TemplateException("ZeroDivisionError: integer division or modulo by zero");
                yield Math.floorDiv(x, y);
            }
            case "%" -> {
                if (y == 0) throw new TemplateException("ZeroDivisionError: integer modulo by zero");
                yield Math.floorMod(x, y);
            }
            case "**" -> {
                if (y < 0) {
                    if (x == 0) throw new TemplateException("ZeroDivisionError: 0.0 cannot be raised to a negative power");
                    yield Math.pow(x, y);
                }
                if (x == 0 || x == 1) yield y == 0 ? 1L : x;
                if (x == -1) yield (y % 2 == 0) ? 1L : -1L;
                long r = 1;
                for (long i = 0; i < y; i++) r = Math.multiplyExact(r, x); // |x| >= 2 overflows within 64 steps
                yield r;
            }
            default -> throw new TemplateException("unknown operator " + op);
        };
    }

    static String checked(String s, int maxLen) {
        if (s.length() > maxLen) throw tooLarge(maxLen);
        return s;
    }

    static TemplateException tooLarge(int maxLen) {
        return new TemplateException.LimitExceeded("a value grew past the output limit of " + maxLen + " characters", 0);
    }
}
