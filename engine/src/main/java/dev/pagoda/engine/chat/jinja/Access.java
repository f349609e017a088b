package dev.pagoda.engine.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * jinja2's sandboxed attribute and item access. {@code a.b} tries the attribute (a str/dict/list
 * method) before the item {@code a['b']}; {@code a[k]} tries the item first. Anything missing is
 * {@link Undefined}; touching an undefined value is an error. Only the methods in {@link Methods}
 * exist: a template can never reach a Java object.
 */
final class Access {
    private Access() {}

    private static final Object MISSING = new Object();

    static Object getAttr(Object obj, String name) {
        obj = PyValues.plain(obj);
        if (obj instanceof Undefined u) throw u.error();
        if (obj instanceof Namespace ns) return ns.attrs.containsKey(name) ? ns.attrs.get(name) : Undefined.attribute(obj, name);
        if (obj instanceof LoopContext loop) {
            Object v = loop.attribute(name);
            return v != null ? v : Undefined.attribute(obj, name);
        }
        Object method = Methods.lookup(obj, name);
        if (method != null) return method;
        if (obj instanceof Map<?, ?> m) {
            Object v = PyValues.mapGet(m, name, MISSING);
            if (v != MISSING) return v;
        }
        return Undefined.attribute(obj, name);
    }

    static Object getItem(Object obj, Object key) {
        obj = PyValues.plain(obj);
        key = PyValues.plain(key);
        if (obj instanceof Undefined u) throw u.error();
        if (obj instanceof Map<?, ?> m) {
            Object v = PyValues.mapGet(m, key, MISSING);
            if (v != MISSING) return v;
        } else if ((obj instanceof List || obj instanceof String) && PyValues.isInt(key)) {
            long i = PyValues.toLong(key);
            if (obj instanceof List<?> l) {
                if (i < 0) i += l.size();
                return i >= 0 && i < l.size() ? l.get((int) i) : new Undefined("list object has no element " + key);
            }
            String s = (String) obj;
            int n = PyStrings.length(s);
            if (i < 0) i += n;
            if (i < 0 || i >= n) return new Undefined("str object has no element " + key);
            int start = s.offsetByCodePoints(0, (int) i);
            return s.substring(start, s.offsetByCodePoints(start, 1));
        }
        if (key instanceof String name && !(obj instanceof Map)) return getAttr(obj, name);
        if (key instanceof String name) {
            Object method = Methods.lookup(obj, name);
            if (method != null) return method;
        }
        return new Undefined("'" + PyValues.typeName(obj) + " object' has no attribute " + PyValues.repr(key));
    }

    /** Python's {@code obj[start:stop:step]} on lists and strings (strings by code point). */
    static Object slice(Object obj, Object start, Object stop, Object step) {
        obj = PyValues.plain(obj);
        if (obj instanceof Undefined u) throw u.error();
        long st = sliceArg(step, 1);
        if (st == 0) throw new TemplateException("ValueError: slice step cannot be zero");
        List<Object> items;
        boolean isString = obj instanceof String;
        if (obj instanceof List<?> l) items = new ArrayList<>(l);
        else if (isString) items = PyStrings.chars((String) obj);
        else if (obj instanceof Map) throw new TemplateException("TypeError: unhashable type: 'slice'");
        else throw new TemplateException("TypeError: '" + PyValues.typeName(obj) + "' object is not subscriptable");
        int n = items.size();
        long lo, hi;
        if (st > 0) {
            lo = clampStart(sliceArg(start, 0), n, false);
            hi = clampStart(sliceArg(stop, n), n, false);
        } else {
            lo = clampStart(sliceArg(start, n - 1), n, true);
            hi = stop == null || stop instanceof Undefined ? -1 : clampStart(sliceArg(stop, -1), n, true);
        }
        List<Object> out = new ArrayList<>();
        if (st > 0) for (long i = lo; i < hi; i += st) out.add(items.get((int) i));
        else for (long i = lo; i > hi; i += st) out.add(items.get((int) i));
        if (!isString) return obj instanceof PyTuple ? PyTuple.of(out) : out;
        StringBuilder sb = new StringBuilder();
        for (Object c : out) sb.append((String) c);
        return sb.toString();
    }

    private static long sliceArg(Object v, long dflt) {
        if (v == null || v instanceof Undefined) return dflt;
        if (!PyValues.isInt(v)) throw new TemplateException("TypeError: slice indices must be integers or None, not " + PyValues.typeName(v));
        return PyValues.toLong(v);
    }

    /** Python's {@code slice.indices} clamping: negative counts from the end; bounds depend on the step's sign. */
    private static long clampStart(long i, int n, boolean negativeStep) {
        if (i < 0) {
            i += n;
            if (i < 0) i = negativeStep ? -1 : 0;
        } else if (i >= n) {
            i = negativeStep ? n - 1 : n;
        }
        return i;
    }
}
