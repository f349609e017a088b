package dev.pagoda.engine.chat.jinja;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * jinja2's built-in filters that chat templates use, with jinja2's argument names and quirks,
 * plus Hugging Face's {@code tojson} override (Python {@code json.dumps}, no HTML escaping).
 * Autoescaping is off in Hugging Face's environment, so {@code safe} and {@code escape} act on plain strings.
 * This class is the registry and dispatch; the longer filters live in {@link StringFilters},
 * {@link NumberFilters} and {@link SequenceFilters}.
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
                yield new PyGenerator(() -> SequenceFilters.batch(value, lineCount, fill));
            }
            case "capitalize" -> PyStrings.capitalize(PyValues.str(v));
            case "center" -> Methods.justify(PyValues.str(v), "center", PyValues.toLong(arg(a, kw, 0, "width", 80L)), " ");
            case "count", "length" -> PyValues.length(v);
            case "d", "default" -> {
                Object dflt = arg(a, kw, 0, "default_value", "");
                boolean bool = PyValues.truthy(arg(a, kw, 1, "boolean", false));
                yield (v instanceof Undefined || (bool && !PyValues.truthy(v))) ? dflt : v;
            }
            case "dictsort" -> SequenceFilters.dictsort(v, PyValues.truthy(arg(a, kw, 0, "case_sensitive", false)),
                    PyValues.str(arg(a, kw, 1, "by", "key")), PyValues.truthy(arg(a, kw, 2, "reverse", false)));
            case "e", "escape" -> v instanceof Markup ? v : new Markup(StringFilters.escape(PyValues.str(v)));
            case "forceescape" -> new Markup(StringFilters.escape(PyValues.str(v)));
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
            case "float" -> NumberFilters.toFloat(v, arg(a, kw, 0, "default", 0.0));
            case "format" -> Operators.checked(PyFormat.percent(PyValues.str(v), kw.isEmpty() ? PyTuple.of(a) : kw), maxLen);
            case "groupby" -> SequenceFilters.groupby(v, arg(a, kw, 0, "attribute", null), arg(a, kw, 1, "default", null));
            case "indent" -> Operators.checked(StringFilters.indent(StringFilters.indentable(v), arg(a, kw, 0, "width", 4L),
                    PyValues.truthy(arg(a, kw, 1, "first", false)), PyValues.truthy(arg(a, kw, 2, "blank", false))), maxLen);
            case "int" -> NumberFilters.toInt(v, arg(a, kw, 0, "default", 0L), arg(a, kw, 1, "base", 10L));
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
            case "join" -> SequenceFilters.join(v, PyValues.str(arg(a, kw, 0, "d", "")), arg(a, kw, 1, "attribute", null), maxLen);
            case "list" -> PyValues.iterate(v);
            case "lower" -> PyValues.str(v).toLowerCase(Locale.ROOT);
            case "upper" -> PyValues.str(v).toUpperCase(Locale.ROOT);
            case "map" -> {
                Object value = v;
                yield new PyGenerator(() -> SequenceFilters.map(value, a, kw, maxLen));
            }
            case "max", "min" -> SequenceFilters.minMax(v, name.equals("max"), PyValues.truthy(arg(a, kw, 0, "case_sensitive", false)), arg(a, kw, 1, "attribute", null));
            case "select", "reject", "selectattr", "rejectattr" -> {
                Object value = v;
                boolean select = name.startsWith("select");
                boolean byAttr = name.endsWith("attr");
                yield new PyGenerator(() -> SequenceFilters.selectOrReject(value, a, kw, select, byAttr));
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
            case "round" -> NumberFilters.round(v, PyValues.toLong(arg(a, kw, 0, "precision", 0L)), PyValues.str(arg(a, kw, 1, "method", "common")));
            case "safe" -> v instanceof Markup ? v : new Markup(PyValues.str(v));
            case "string" -> PyValues.str(v);
            case "sort" -> SequenceFilters.sort(v, PyValues.truthy(arg(a, kw, 0, "reverse", false)), PyValues.truthy(arg(a, kw, 1, "case_sensitive", false)),
                    arg(a, kw, 2, "attribute", null));
            case "sum" -> {
                Object attribute = arg(a, kw, 0, "attribute", null);
                Object total = arg(a, kw, 1, "start", 0L);
                for (Object x : PyValues.iterate(v)) total = Operators.binary("+", total, attribute == null ? x : SequenceFilters.attrPath(x, attribute), maxLen);
                yield total;
            }
            case "title" -> PyStrings.jinjaTitle(PyValues.str(v));
            case "tojson" -> PyJson.dumps(v, PyValues.truthy(arg(a, kw, 0, "ensure_ascii", false)), arg(a, kw, 1, "indent", null),
                    arg(a, kw, 2, "separators", null), PyValues.truthy(arg(a, kw, 3, "sort_keys", false)), maxLen);
            case "trim" -> {
                Object chars = arg(a, kw, 0, "chars", null);
                yield PyStrings.strip(PyValues.str(v), chars == null ? null : PyValues.str(chars));
            }
            case "truncate" -> StringFilters.truncate(v, PyValues.toLong(arg(a, kw, 0, "length", 255L)), PyValues.truthy(arg(a, kw, 1, "killwords", false)),
                    PyValues.str(arg(a, kw, 2, "end", "...")), arg(a, kw, 3, "leeway", null));
            case "unique" -> {
                Object value = v;
                yield new PyGenerator(() -> SequenceFilters.unique(value, PyValues.truthy(arg(a, kw, 0, "case_sensitive", false)), arg(a, kw, 1, "attribute", null)));
            }
            case "wordcount" -> StringFilters.wordcount(PyValues.str(v));
            default -> throw new TemplateException("no filter named '" + name + "'");
        };
    }

    private static Object arg(List<Object> a, Map<String, Object> kw, int index, String name, Object dflt) {
        return Methods.arg(a, kw, index, name, dflt);
    }
}
