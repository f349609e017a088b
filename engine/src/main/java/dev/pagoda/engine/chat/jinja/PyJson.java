package dev.pagoda.engine.chat.jinja;

import dev.pagoda.engine.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps} byte for byte, as Hugging Face's {@code tojson} filter calls it
 * ({@code ensure_ascii=False} by default, optional {@code indent}, {@code separators}, {@code sort_keys}).
 */
final class PyJson {
    private final boolean ensureAscii;
    private final String indent;
    private final String itemSep;
    private final String keySep;
    private final boolean sortKeys;
    private final int maxLen;
    private final StringBuilder sb = new StringBuilder();

    private PyJson(boolean ensureAscii, String indent, String itemSep, String keySep, boolean sortKeys, int maxLen) {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSep = itemSep;
        this.keySep = keySep;
        this.sortKeys = sortKeys;
        this.maxLen = maxLen;
    }

    /**
     * @param indent     null, an int (spaces) or a string (used as is), as in Python
     * @param separators null or a two-element list {@code [item, key]}
     */
    static String dumps(Object value, boolean ensureAscii, Object indent, Object separators, boolean sortKeys, int maxLen) {
        String ind = null;
        if (indent instanceof String s) ind = s;
        else if (PyValues.isInt(indent)) ind = " ".repeat((int) Math.max(0, Math.min(PyValues.toLong(indent), 1000)));
        else if (indent != null && !(indent instanceof Undefined)) throw new TemplateException("TypeError: tojson indent must be an int or a string, not " + PyValues.typeName(indent));
        String itemSep = ind == null ? ", " : ",";
        String keySep = ": ";
        if (separators instanceof List<?> l && l.size() == 2 && l.get(0) instanceof String a && l.get(1) instanceof String b) {
            itemSep = a;
            keySep = b;
        } else if (separators != null && !(separators instanceof Undefined)) {
            throw new TemplateException("ValueError: tojson separators must be a pair of strings");
        }
        PyJson j = new PyJson(ensureAscii, ind, itemSep, keySep, sortKeys, maxLen);
        j.write(value, 0);
        return j.sb.toString();
    }

    private void write(Object v, int level) {
        if (sb.length() > maxLen) throw Operators.tooLarge(maxLen);
        if (level > 500) throw new TemplateException("ValueError: tojson nesting too deep");
        v = PyValues.plain(v);
        if (v == null) sb.append("null");
        else if (v instanceof Boolean b) sb.append(b ? "true" : "false");
        else if (v instanceof Long l) sb.append(l);
        else if (v instanceof Double d) sb.append(floatJson(d));
        else if (v instanceof String s) writeString(s);
        else if (v instanceof List<?> list) writeList(list, level);
        else if (v instanceof Map<?, ?> map) writeMap(map, level);
        else throw new TemplateException("TypeError: Object of type " + PyValues.typeName(v) + " is not JSON serializable");
    }

    private static String floatJson(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        return PyValues.floatRepr(d);
    }

    private void newline(int level) {
        if (indent == null) return;
        sb.append('\n');
        for (int i = 0; i < level; i++) sb.append(indent);
    }

    private void writeList(List<?> list, int level) {
        if (list.isEmpty()) {
            sb.append("[]");
            return;
        }
        sb.append('[');
        newline(level + 1);
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                sb.append(itemSep);
                newline(level + 1);
            }
            write(list.get(i), level + 1);
        }
        newline(level);
        sb.append(']');
    }

    private void writeMap(Map<?, ?> map, int level) {
        if (map.isEmpty()) {
            sb.append("{}");
            return;
        }
        List<Map.Entry<String, Object>> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : map.entrySet()) entries.add(Map.entry(keyString(e.getKey()), e.getValue() == null ? NULL : e.getValue()));
        if (sortKeys) entries.sort((a, b) -> PyValues.compareCodePoints(a.getKey(), b.getKey()));
        sb.append('{');
        newline(level + 1);
        boolean first = true;
        for (Map.Entry<String, Object> e : entries) {
            if (!first) {
                sb.append(itemSep);
                newline(level + 1);
            }
            first = false;
            writeString(e.getKey());
            sb.append(keySep);
            write(e.getValue() == NULL ? null : e.getValue(), level + 1);
        }
        newline(level);
        sb.append('}');
    }

    /** Map.entry refuses nulls; this stands in for a None value. */
    private static final Object NULL = new Object();

    private static String keyString(Object k) {
        if (k instanceof String s) return s;
        if (k == null) return "null";
        if (k instanceof Boolean b) return b ? "true" : "false";
        if (k instanceof Long l) return l.toString();
        if (k instanceof Double d) return floatJson(d);
        throw new TemplateException("TypeError: keys must be str, int, float, bool or None, not " + PyValues.typeName(k));
    }

    private void writeString(String s) {
        Json.writeString(sb, s, ensureAscii);
    }
}
