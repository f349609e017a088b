package dev.pagoda.engine.chat.jinja;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * jinja2's built-in filters that chat templates use, with jinja2's argument names and quirks,
 * plus Hugging Face's {@code tojson} override (Python {@code json.dumps}, no HTML escaping).
 * Autoescaping is off in Hugging Face's environment, so {@code safe} and {@code escape} act on plain strings.
 */
final class Filters {
    private Filters() {}

    private static final Set<String> NAMES = Set.of(
            "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
            "first", "float", "forceescape", "format", "groupby", "indent", "int", "items", "join", "last", "length",
            "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "safe",
            "select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim", "truncate", "unique",
            "upper", "wordcount");

    static boolean exists(String name) {
        return NAMES.contains(name);
    }

    static Object apply(String name, Object v, List<Object> a, Map<String, Object> kw, int maxLen) {
        if (v instanceof Markup m && !name.equals("safe") && !name.equals("escape") && !name.equals("e")) v = m.text();
        return switch (name) {
            case "abs" -> {
                if (v instanceof Double d) yield Math.abs(d);
                if (PyValues.isInt(v)) yield Math.abs(PyValues.toLong(v));
                throw new TemplateException("TypeError: bad operand type for abs(): '" + PyValues.typeName(v) + "'");
            }
            case "attr" -> {
                String attr = PyValues.str(arg(a, kw, 0, "name", ""));
                if (v instanceof Undefined u) throw u.error();
                if (v instanceof Namespace || v instanceof LoopContext) yield Access.getAttr(v, attr);
                Object m = Methods.lookup(v, attr);
                yield m != null ? m : Undefined.attribute(v, attr);
            }
            case "batch" -> {
                Object lineCount = arg(a, kw, 0, "linecount", null);
                Object fill = arg(a, kw, 1, "fill_with", null);
                Object value = v;
                yield new PyGenerator(() -> batch(value, lineCount, fill));
            }
            case "capitalize" -> PyStrings.capitalize(PyValues.str(v));
            case "center" -> Methods.justify(PyValues.str(v), "center", PyValues.toLong(arg(a, kw, 0, "width", 80L)), " ");
            case "count", "length" -> PyValues.length(v);
            case "d", "default" -> {
                Object dflt = arg(a, kw, 0, "default_value", "");
                boolean bool = PyValues.truthy(arg(a, kw, 1, "boolean", false));
                yield (v instanceof Undefined || (bool && !PyValues.truthy(v))) ? dflt : v;
            }
            case "dictsort" -> dictsort(v, PyValues.truthy(arg(a, kw, 0, "case_sensitive", false)),
                    PyValues.str(arg(a, kw, 1, "by", "key")), PyValues.truthy(arg(a, kw, 2, "reverse", false)));
            case "e", "escape" -> v instanceof Markup ? v : new Markup(escape(PyValues.str(v)));
            case "forceescape" -> new Markup(escape(PyValues.str(v)));
            case "first" -> {
                Undefined empty = new Undefined("No first item, sequence was empty.");
                if (v instanceof PyGenerator g) yield g.next(empty);
                List<Object> items = PyValues.iterate(v);
                yield items.isEmpty() ? new Undefined("No first item, sequence was empty.") : items.get(0);
            }
            case "last" -> {
                if (!(v instanceof List || v instanceof String || v instanceof Map || v instanceof Undefined)) {
                    throw new TemplateException("TypeError: '" + PyValues.typeName(v) + "' object is not reversible");
                }
                List<Object> items = PyValues.iterate(v);
                yield items.isEmpty() ? new Undefined("No last item, sequence was empty.") : items.get(items.size() - 1);
            }
            case "float" -> toFloat(v, arg(a, kw, 0, "default", 0.0));
            case "format" -> Operators.checked(PyFormat.percent(PyValues.str(v), kw.isEmpty() ? PyTuple.of(a) : kw), maxLen);
            case "groupby" -> groupby(v, arg(a, kw, 0, "attribute", null), arg(a, kw, 1, "default", null));
            case "indent" -> Operators.checked(indent(indentable(v), arg(a, kw, 0, "width", 4L),
                    PyValues.truthy(arg(a, kw, 1, "first", false)), PyValues.truthy(arg(a, kw, 2, "blank", false))), maxLen);
            case "int" -> toInt(v, arg(a, kw, 0, "default", 0L), arg(a, kw, 1, "base", 10L));
            case "items" -> {
                Object value = v;
                yield new PyGenerator(() -> {
                    List<Object> out = new ArrayList<>();
                    if (value instanceof Undefined) return out;
                    if (!(value instanceof Map<?, ?> m)) throw new TemplateException("TypeError: Can only get item pairs from a mapping.");
                    for (Map.Entry<?, ?> e : m.entrySet()) out.add(Methods.pair(e.getKey(), e.getValue()));
                    return out;
                });
            }
            case "join" -> join(v, PyValues.str(arg(a, kw, 0, "d", "")), arg(a, kw, 1, "attribute", null), maxLen);
            case "list" -> PyValues.iterate(v);
            case "lower" -> PyValues.str(v).toLowerCase(Locale.ROOT);
            case "upper" -> PyValues.str(v).toUpperCase(Locale.ROOT);
            case "map" -> {
                Object value = v;
                yield new PyGenerator(() -> map(value, a, kw, maxLen));
            }
            case "max", "min" -> minMax(v, name.equals("max"), PyValues.truthy(arg(a, kw, 0, "case_sensitive", false)), arg(a, kw, 1, "attribute", null));
            case "select", "reject", "selectattr", "rejectattr" -> {
                Object value = v;
                boolean select = name.startsWith("select");
                boolean byAttr = name.endsWith("attr");
                yield new PyGenerator(() -> selectOrReject(value, a, kw, select, byAttr));
            }
            case "replace" -> {
                Object count = arg(a, kw, 2, "count", null);
                yield Operators.checked(Methods.replace(PyValues.str(v), PyValues.str(arg(a, kw, 0, "old", "")),
                        PyValues.str(arg(a, kw, 1, "new", "")), count == null ? -1 : PyValues.toLong(count)), maxLen);
            }
            case "reverse" -> {
                if (v instanceof String s) yield Access.slice(s, null, null, -1L);
                if (v instanceof List || v instanceof Map || v instanceof Undefined) { // reversed(...): a one-shot iterator
                    List<Object> items = PyValues.iterate(v);
                    Collections.reverse(items);
                    yield new PyGenerator(() -> items);
                }
                List<Object> items = PyValues.iterate(v); // jinja2 falls back to list(value), reversed
                Collections.reverse(items);
                yield items;
            }
            case "round" -> round(v, PyValues.toLong(arg(a, kw, 0, "precision", 0L)), PyValues.str(arg(a, kw, 1, "method", "common")));
            case "safe" -> v instanceof Markup ? v : new Markup(PyValues.str(v));
            case "string" -> PyValues.str(v);
            case "sort" -> sort(v, PyValues.truthy(arg(a, kw, 0, "reverse", false)), PyValues.truthy(arg(a, kw, 1, "case_sensitive", false)),
                    arg(a, kw, 2, "attribute", null));
            case "sum" -> {
                Object attribute = arg(a, kw, 0, "attribute", null);
                Object total = arg(a, kw, 1, "start", 0L);
                for (Object x : PyValues.iterate(v)) total = Operators.binary("+", total, attribute == null ? x : attrPath(x, attribute), maxLen);
                yield total;
            }
            case "title" -> PyStrings.jinjaTitle(PyValues.str(v));
            case "tojson" -> PyJson.dumps(v, PyValues.truthy(arg(a, kw, 0, "ensure_ascii", false)), arg(a, kw, 1, "indent", null),
                    arg(a, kw, 2, "separators", null), PyValues.truthy(arg(a, kw, 3, "sort_keys", false)), maxLen);
            case "trim" -> {
                Object chars = arg(a, kw, 0, "chars", null);
                yield PyStrings.strip(PyValues.str(v), chars == null ? null : PyValues.str(chars));
            }
            case "truncate" -> truncate(v, PyValues.toLong(arg(a, kw, 0, "length", 255L)), PyValues.truthy(arg(a, kw, 1, "killwords", false)),
                    PyValues.str(arg(a, kw, 2, "end", "...")), arg(a, kw, 3, "leeway", null));
            case "unique" -> {
                Object value = v;
                yield new PyGenerator(() -> unique(value, PyValues.truthy(arg(a, kw, 0, "case_sensitive", false)), arg(a, kw, 1, "attribute", null)));
            }
            case "wordcount" -> wordcount(PyValues.str(v));
            default -> throw new TemplateException("no filter named '" + name + "'");
        };
    }

    /** jinja2's wordcount: the number of {@code \\w+} runs (letters, digits, underscore). */
    private static long wordcount(String s) {
        long n = 0;
        boolean inWord = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            boolean w = Character.isLetterOrDigit(cp) || cp == '_';
            if (w && !inWord) n++;
            inWord = w;
        }
        return n;
    }

    /** jinja2's indent appends "\n" and calls splitlines(): only strings survive that. */
    private static String indentable(Object v) {
        if (v instanceof String s) return s;
        if (v instanceof List) throw new TemplateException("AttributeError: 'list' object has no attribute 'splitlines'");
        throw new TemplateException("TypeError: unsupported operand type(s) for +=: '" + PyValues.typeName(v) + "' and 'str'");
    }

    private static Object arg(List<Object> a, Map<String, Object> kw, int index, String name, Object dflt) {
        return Methods.arg(a, kw, index, name, dflt);
    }

    /** jinja2's attribute getter: dotted path, each part an item lookup (integers for digit parts). */
    static Object attrPath(Object item, Object attribute) {
        if (PyValues.isInt(attribute)) return Access.getItem(item, attribute);
        Object cur = item;
        for (String part : PyValues.str(attribute).split("\\.", -1)) {
            Object key = part.chars().allMatch(Character::isDigit) && !part.isEmpty() ? (Object) Long.parseLong(part) : part;
            cur = Access.getItem(cur, key);
        }
        return cur;
    }

    private static Object sortKey(Object x, boolean caseSensitive) {
        return !caseSensitive && x instanceof String s ? s.toLowerCase(Locale.ROOT) : x;
    }

    private static List<Object> map(Object v, List<Object> a, Map<String, Object> kw, int maxLen) {
        List<Object> out = new ArrayList<>();
        if (!PyValues.truthy(v)) return out; // jinja2: `if value:` guards the generator
        if (a.isEmpty() && kw.containsKey("attribute")) {
            Object attribute = kw.get("attribute");
            Object dflt = kw.getOrDefault("default", null);
            for (Object x : PyValues.iterate(v)) {
                Object r = attrPath(x, attribute);
                out.add(r instanceof Undefined && kw.containsKey("default") ? dflt : r);
            }
            return out;
        }
        if (a.isEmpty()) throw new TemplateException("map requires a filter argument");
        String filter = PyValues.str(a.get(0));
        if (!exists(filter)) throw new TemplateException("no filter named '" + filter + "'");
        List<Object> rest = a.subList(1, a.size());
        for (Object x : PyValues.iterate(v)) out.add(apply(filter, x, rest, kw, maxLen));
        return out;
    }

    private static List<Object> selectOrReject(Object v, List<Object> a, Map<String, Object> kw, boolean select, boolean byAttr) {
        int off = 0;
        Object attribute = null;
        if (byAttr) {
            if (a.isEmpty()) throw new TemplateException("selectattr/rejectattr need an attribute name");
            attribute = a.get(0);
            off = 1;
        }
        String test = a.size() > off ? PyValues.str(a.get(off)) : null;
        if (test != null && !TestFunctions.exists(test)) throw new TemplateException("no test named '" + test + "'");
        List<Object> testArgs = a.size() > off + 1 ? a.subList(off + 1, a.size()) : List.of();
        List<Object> out = new ArrayList<>();
        if (!PyValues.truthy(v)) return out; // jinja2: `if value:` guards the generator
        for (Object x : PyValues.iterate(v)) {
            Object subject = byAttr ? attrPath(x, attribute) : x;
            boolean ok = test == null ? PyValues.truthy(subject) : TestFunctions.apply(test, subject, testArgs);
            if (ok == select) out.add(x);
        }
        return out;
    }

    private static String join(Object v, String sep, Object attribute, int maxLen) {
        StringBuilder sb = new StringBuilder();
        boolean first = true;
        for (Object x : PyValues.iterate(v)) {
            if (!first) sb.append(sep);
            first = false;
            sb.append(PyValues.str(attribute == null ? x : attrPath(x, attribute)));
            if (sb.length() > maxLen) throw Operators.tooLarge(maxLen);
        }
        return sb.toString();
    }

    private static List<Object> sort(Object v, boolean reverse, boolean caseSensitive, Object attribute) {
        List<Object> items = PyValues.iterate(v);
        Comparator<Object> cmp = (x, y) -> PyValues.compare(
                sortKey(attribute == null ? x : attrPath(x, attribute), caseSensitive),
                sortKey(attribute == null ? y : attrPath(y, attribute), caseSensitive));
        items.sort(reverse ? cmp.reversed() : cmp);
        return items;
    }

    private static List<Object> dictsort(Object v, boolean caseSensitive, String by, boolean reverse) {
        if (!(v instanceof Map<?, ?> m)) throw new TemplateException("TypeError: dictsort needs a mapping, got " + PyValues.typeName(v));
        int pos = switch (by) {
            case "key" -> 0;
            case "value" -> 1;
            default -> throw new TemplateException("FilterArgumentError: You can only sort by either \"key\" or \"value\"");
        };
        List<Object> items = new ArrayList<>();
        for (Map.Entry<?, ?> e : m.entrySet()) items.add(Methods.pair(e.getKey(), e.getValue()));
        Comparator<Object> cmp = (x, y) -> PyValues.compare(sortKey(((List<?>) x).get(pos), caseSensitive), sortKey(((List<?>) y).get(pos), caseSensitive));
        items.sort(reverse ? cmp.reversed() : cmp);
        return items;
    }

    private static List<Object> unique(Object v, boolean caseSensitive, Object attribute) {
        List<Object> out = new ArrayList<>();
        List<Object> seen = new ArrayList<>();
        for (Object x : PyValues.iterate(v)) {
            Object key = sortKey(attribute == null ? x : attrPath(x, attribute), caseSensitive);
            boolean dup = false;
            for (Object s : seen) if (PyValues.equal(s, key)) dup = true;
            if (!dup) {
                seen.add(key);
                out.add(x);
            }
        }
        return out;
    }

    private static Object minMax(Object v, boolean max, boolean caseSensitive, Object attribute) {
        List<Object> items = PyValues.iterate(v);
        if (items.isEmpty()) return new Undefined("No aggregated item, sequence was empty.");
        Object best = items.get(0);
        for (Object x : items.subList(1, items.size())) {
            int c = PyValues.compare(sortKey(attribute == null ? x : attrPath(x, attribute), caseSensitive),
                    sortKey(attribute == null ? best : attrPath(best, attribute), caseSensitive));
            if (max ? c > 0 : c < 0) best = x;
        }
        return best;
    }

    private static List<Object> batch(Object v, Object lineCount, Object fill) {
        if (!PyValues.isInt(lineCount) || PyValues.toLong(lineCount) <= 0) throw new TemplateException("batch needs a positive line count");
        int n = (int) PyValues.toLong(lineCount);
        List<Object> out = new ArrayList<>();
        List<Object> cur = new ArrayList<>();
        for (Object x : PyValues.iterate(v)) {
            cur.add(x);
            if (cur.size() == n) {
                out.add(cur);
                cur = new ArrayList<>();
            }
        }
        if (!cur.isEmpty()) {
            if (fill != null) while (cur.size() < n) cur.add(fill);
            out.add(cur);
        }
        return out;
    }

    private static List<Object> groupby(Object v, Object attribute, Object dflt) {
        if (attribute == null) throw new TemplateException("groupby needs an attribute");
        Map<Object, List<Object>> groups = new LinkedHashMap<>();
        List<Object> sorted = sort(v, false, true, attribute);
        List<Object> keys = new ArrayList<>();
        for (Object x : sorted) {
            Object k = attrPath(x, attribute);
            if (k instanceof Undefined && dflt != null) k = dflt;
            Object found = null;
            for (Object key : keys) if (PyValues.equal(key, k)) found = key;
            if (found == null) {
                keys.add(k);
                groups.put(k, new ArrayList<>());
                found = k;
            }
            groups.get(found).add(x);
        }
        List<Object> out = new ArrayList<>();
        for (Object k : keys) out.add(new PyTuple(k, groups.get(k)));
        return out;
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&#34;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** jinja2's {@code indent}: indents all lines but the first (unless {@code first}), blank lines too only if {@code blank}. */
    static String indent(String s, Object width, boolean first, boolean blank) {
        String ind = width instanceof String w ? w : " ".repeat((int) Math.max(0, Math.min(PyValues.toLong(width), 1000)));
        s = s + "\n";
        List<Object> lines = PyStrings.splitlines(s, false);
        StringBuilder rv = new StringBuilder();
        if (blank) {
            for (int i = 0; i < lines.size(); i++) {
                if (i > 0) rv.append('\n').append(ind);
                rv.append((String) lines.get(i));
            }
        } else {
            rv.append((String) lines.get(0));
            for (int i = 1; i < lines.size(); i++) {
                String line = (String) lines.get(i);
                rv.append('\n');
                if (!line.isEmpty()) rv.append(ind);
                rv.append(line);
            }
        }
        return first ? ind + rv : rv.toString();
    }

    private static Object toInt(Object v, Object dflt, Object base) {
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

    private static Object toFloat(Object v, Object dflt) {
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

    private static Object round(Object v, long precision, String method) {
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

    /** jinja2's truncate works on the value itself: short lists pass through, ints have no len(). */
    private static Object truncate(Object v, long length, boolean killwords, String end, Object leeway) {
        long lw = leeway == null ? 5 : PyValues.toLong(leeway);
        long n = PyValues.length(v);
        if (n <= length + lw) return v;
        if (!(v instanceof String s)) throw new TemplateException("TypeError: cannot truncate a " + PyValues.typeName(v));
        int cut = (int) Math.max(0, length - PyStrings.length(end));
        String head = s.substring(0, s.offsetByCodePoints(0, cut));
        if (killwords) return head + end;
        int sp = head.lastIndexOf(' ');
        return (sp >= 0 ? head.substring(0, sp) : head) + end;
    }
}
