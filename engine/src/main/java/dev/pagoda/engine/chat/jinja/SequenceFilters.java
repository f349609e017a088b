package dev.pagoda.engine.chat.jinja;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The jinja2 filters that walk a sequence or mapping: {@code map}, {@code select}/{@code reject}
 * (and their {@code attr} forms), {@code join}, {@code sort}, {@code dictsort}, {@code unique},
 * {@code min}/{@code max}, {@code batch}, {@code groupby}, with jinja2's dotted attribute paths.
 * {@link Filters} dispatches to them.
 */
final class SequenceFilters {
    private SequenceFilters() {}

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

    static List<Object> map(Object v, List<Object> a, Map<String, Object> kw, int maxLen) {
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
        if (!Filters.exists(filter)) throw new TemplateException("no filter named '" + filter + "'");
        List<Object> rest = a.subList(1, a.size());
        for (Object x : PyValues.iterate(v)) out.add(Filters.apply(filter, x, rest, kw, maxLen));
        return out;
    }

    static List<Object> selectOrReject(Object v, List<Object> a, Map<String, Object> kw, boolean select, boolean byAttr) {
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

    static String join(Object v, String sep, Object attribute, int maxLen) {
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

    static List<Object> sort(Object v, boolean reverse, boolean caseSensitive, Object attribute) {
        List<Object> items = PyValues.iterate(v);
        Comparator<Object> cmp = (x, y) -> PyValues.compare(
                sortKey(attribute == null ? x : attrPath(x, attribute), caseSensitive),
                sortKey(attribute == null ? y : attrPath(y, attribute), caseSensitive));
        items.sort(reverse ? cmp.reversed() : cmp);
        return items;
    }

    static List<Object> dictsort(Object v, boolean caseSensitive, String by, boolean reverse) {
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

    static List<Object> unique(Object v, boolean caseSensitive, Object attribute) {
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

    static Object minMax(Object v, boolean max, boolean caseSensitive, Object attribute) {
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

    static List<Object> batch(Object v, Object lineCount, Object fill) {
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

    static List<Object> groupby(Object v, Object attribute, Object dflt) {
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
}
