package dev.pagoda.engine.chat.jinja;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Python's string formatting as templates use it: {@code "%s" % x}, {@code "{}".format(x)}, {@code strftime}. */
final class PyFormat {
    private PyFormat() {}

    /** {@code fmt % args}: {@code %s %r %d %i %f %x %%} with flags, width and precision; a dict argument feeds {@code %(key)s}. */
    static String percent(String fmt, Object args) {
        // Python: a tuple gives the arguments; anything else is one argument, and an object with
        // __getitem__ (dict, list, Undefined) that is not a tuple also excuses unused arguments.
        List<?> positional = args instanceof PyTuple t ? t : List.of(args == null ? NONE : args);
        boolean mappingLike = args instanceof Map || (args instanceof List && !(args instanceof PyTuple)) || args instanceof Undefined;
        int next = 0;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (++i >= fmt.length()) throw new TemplateException("ValueError: incomplete format");
            Object value = null;
            boolean haveValue = false;
            if (fmt.charAt(i) == '(') {
                int close = fmt.indexOf(')', i);
                if (close < 0 || !(args instanceof Map<?, ?> m)) throw new TemplateException("TypeError: format requires a mapping");
                value = PyValues.mapGet(m, fmt.substring(i + 1, close), null);
                haveValue = true;
                i = close + 1;
            }
            // Python's grammar: flags, width, then an optional '.' and precision ("%1.2.3s" ends at the second '.').
            int specStart = i;
            while (i < fmt.length() && "-+ #0".indexOf(fmt.charAt(i)) >= 0) i++;
            while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) i++;
            if (i < fmt.length() && fmt.charAt(i) == '.') {
                i++;
                while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) i++;
            }
            if (i >= fmt.length()) throw new TemplateException("ValueError: incomplete format");
            String spec = fmt.substring(specStart, i);
            char type = fmt.charAt(i);
            if (type == '%') {
                sb.append('%');
                continue;
            }
            if (!haveValue) {
                if (next >= positional.size()) throw new TemplateException("TypeError: not enough arguments for format string");
                value = positional.get(next++);
                if (value == NONE) value = null;
            }
            sb.append(formatOne(spec, type, value));
        }
        if (!mappingLike && next < positional.size()) {
            throw new TemplateException("TypeError: not all arguments converted during string formatting");
        }
        return sb.toString();
    }

    private static final Object NONE = new Object();

    private static String formatOne(String spec, char type, Object value) {
        try {
            return formatChecked(spec, type, value);
        } catch (java.util.IllegalFormatException e) { // a flag combination Java's Formatter refuses and no case below maps
            throw new TemplateException("ValueError: unsupported format '%" + spec + type + "'");
        }
    }

    private static String formatChecked(String spec, char type, Object value) {
        String javaSpec = "%" + spec;
        return switch (type) {
            case 's' -> String.format(stringSpec(spec) + "s", PyValues.str(value));
            case 'r' -> String.format(stringSpec(spec) + "s", PyValues.repr(value));
            case 'd', 'i' -> {
                if (!PyValues.isNumber(value)) throw new TemplateException("TypeError: %" + type + " format: a real number is required, not " + PyValues.typeName(value));
                yield integer(spec, (long) PyValues.toDouble(value));
            }
            case 'f', 'F' -> {
                if (!PyValues.isNumber(value)) throw new TemplateException("TypeError: must be real number, not " + PyValues.typeName(value));
                yield fixed(spec, PyValues.toDouble(value));
            }
            case 'e', 'g' -> {
                if (!PyValues.isNumber(value)) throw new TemplateException("TypeError: must be real number, not " + PyValues.typeName(value));
                yield String.format(Locale.ROOT, javaSpec + type, PyValues.toDouble(value));
            }
            case 'x', 'X', 'o' -> String.format(javaSpec + type, PyValues.toLong(value));
            default -> throw new TemplateException("ValueError: unsupported format character '" + type + "'");
        };
    }

    /** A {@code %s} spec Java accepts: Python ignores the flags other than '-' for strings ({@code '%05s' % 'ab' == '   ab'}). */
    private static String stringSpec(String spec) {
        return "%" + (spec.contains("-") ? "-" : "") + spec.replaceAll("^[-+ #0]*", "");
    }

    /**
     * {@code %[flags][width][.precision]d} as Python does it: precision is the least number of digits,
     * '-' beats '0', '+' beats ' ', '#' changes nothing ({@code '%-05d' % 3 == '3    '}, {@code '%.3d' % 7 == '007'}).
     */
    private static String integer(String spec, long x) {
        String flags = spec.replaceAll("^([-+ #0]*).*$", "$1"), rest = spec.substring(flags.length());
        int dot = rest.indexOf('.');
        int width = dot == 0 || rest.isEmpty() ? 0 : Integer.parseInt(dot < 0 ? rest : rest.substring(0, dot));
        int precision = dot < 0 ? 0 : dot + 1 < rest.length() ? Integer.parseInt(rest.substring(dot + 1)) : 0;
        String digits = Long.toString(Math.abs(x));
        if (x == Long.MIN_VALUE) digits = digits.substring(1);
        if (digits.length() < precision) digits = "0".repeat(precision - digits.length()) + digits;
        String sign = x < 0 ? "-" : flags.contains("+") ? "+" : flags.contains(" ") ? " " : "";
        int pad = Math.max(0, width - sign.length() - digits.length());
        if (flags.contains("-")) return sign + digits + " ".repeat(pad);
        if (flags.contains("0")) return sign + "0".repeat(pad) + digits;
        return " ".repeat(pad) + sign + digits;
    }

    /**
     * {@code %[flags][width][.precision]f}: Python rounds the exact binary value half-to-even
     * ({@code '%.1f' % 2.25 == '2.2'}), where Java's formatter rounds half-up.
     */
    private static String fixed(String spec, double x) {
        if (Double.isNaN(x)) return "nan";
        if (Double.isInfinite(x)) return x > 0 ? "inf" : "-inf";
        int dot = spec.indexOf('.');
        int precision = dot >= 0 ? (dot + 1 < spec.length() ? Integer.parseInt(spec.substring(dot + 1)) : 0) : 6;
        String flagsWidth = dot >= 0 ? spec.substring(0, dot) : spec;
        String digits = new java.math.BigDecimal(x).setScale(precision, java.math.RoundingMode.HALF_EVEN).toPlainString();
        if (x < 0 && !digits.startsWith("-")) digits = "-" + digits; // -0.0 keeps its sign, as in Python
        if (flagsWidth.contains("+") && !digits.startsWith("-")) digits = "+" + digits;
        else if (flagsWidth.contains(" ") && !digits.startsWith("-")) digits = " " + digits;
        int width = 0;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)$").matcher(flagsWidth.replaceAll("^[-+ #0]*", ""));
        if (m.find()) width = Integer.parseInt(m.group(1));
        if (digits.length() >= width) return digits;
        String pad = " ".repeat(width - digits.length());
        if (flagsWidth.contains("-")) return digits + pad;
        if (flagsWidth.replaceAll("\\d+$", "").contains("0")) {
            boolean signed = digits.startsWith("-") || digits.startsWith("+") || digits.startsWith(" ");
            String zeros = "0".repeat(width - digits.length());
            return signed ? digits.charAt(0) + zeros + digits.substring(1) : zeros + digits;
        }
        return pad + digits;
    }

    /** {@code str.format(*args, **kwargs)} for {@code {}}, {@code {0}}, {@code {name}} and {@code {{ }}}; format specs are not supported. */
    static String format(String fmt, List<Object> args, Map<String, Object> kwargs) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c == '{') {
                if (i + 1 < fmt.length() && fmt.charAt(i + 1) == '{') {
                    sb.append('{');
                    i++;
                    continue;
                }
                int close = fmt.indexOf('}', i);
                if (close < 0) throw new TemplateException("ValueError: Single '{' encountered in format string");
                String field = fmt.substring(i + 1, close);
                if (field.contains(":") || field.contains("!") || field.contains(".") || field.contains("[")) {
                    throw new TemplateException("str.format with conversions or format specs is not supported: {" + field + "}");
                }
                Object value;
                if (field.isEmpty()) {
                    if (auto >= args.size()) throw new TemplateException("IndexError: Replacement index " + auto + " out of range for positional args tuple");
                    value = args.get(auto++);
                } else if (field.chars().allMatch(Character::isDigit)) {
                    int k = Integer.parseInt(field);
                    if (k >= args.size()) throw new TemplateException("IndexError: Replacement index " + k + " out of range for positional args tuple");
                    value = args.get(k);
                } else {
                    if (!kwargs.containsKey(field)) throw new TemplateException("KeyError: '" + field + "'");
                    value = kwargs.get(field);
                }
                sb.append(PyValues.str(value));
                i = close;
            } else if (c == '}') {
                if (i + 1 < fmt.length() && fmt.charAt(i + 1) == '}') i++;
                else throw new TemplateException("ValueError: Single '}' encountered in format string");
                sb.append('}');
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Python's {@code datetime.strftime} (glibc flavour, C locale) for a naive local time. */
    static String strftime(String fmt, LocalDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                sb.append(c);
                continue;
            }
            char d = fmt.charAt(++i);
            boolean noPad = false;
            if (d == '-' && i + 1 < fmt.length()) {
                noPad = true;
                d = fmt.charAt(++i);
            }
            int hour12 = t.getHour() % 12 == 0 ? 12 : t.getHour() % 12;
            String v = switch (d) {
                case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US);
                case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
                case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
                case 'd' -> pad(t.getDayOfMonth(), 2, noPad);
                case 'e' -> noPad ? String.valueOf(t.getDayOfMonth()) : String.format("%2d", t.getDayOfMonth());
                case 'm' -> pad(t.getMonthValue(), 2, noPad);
                case 'y' -> pad(t.getYear() % 100, 2, noPad);
                case 'Y' -> String.valueOf(t.getYear());
                case 'H' -> pad(t.getHour(), 2, noPad);
                case 'I' -> pad(hour12, 2, noPad);
                case 'M' -> pad(t.getMinute(), 2, noPad);
                case 'S' -> pad(t.getSecond(), 2, noPad);
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'j' -> pad(t.getDayOfYear(), 3, noPad);
                case 'f' -> String.format("%06d", t.getNano() / 1000);
                case 'u' -> String.valueOf(t.getDayOfWeek().getValue());
                case 'w' -> String.valueOf(t.getDayOfWeek().getValue() % 7);
                case 'F' -> String.format("%d-%02d-%02d", t.getYear(), t.getMonthValue(), t.getDayOfMonth());
                case 'T' -> String.format("%02d:%02d:%02d", t.getHour(), t.getMinute(), t.getSecond());
                case 'D' -> String.format("%02d/%02d/%02d", t.getMonthValue(), t.getDayOfMonth(), t.getYear() % 100);
                case 'z', 'Z' -> "";
                case '%' -> "%";
                default -> throw new TemplateException("strftime directive %" + d + " is not supported");
            };
            sb.append(v);
        }
        return sb.toString();
    }

    private static String pad(int v, int width, boolean noPad) {
        String s = String.valueOf(v);
        return noPad || s.length() >= width ? s : "0".repeat(width - s.length()) + s;
    }
}
