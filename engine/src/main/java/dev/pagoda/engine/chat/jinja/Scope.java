package dev.pagoda.engine.chat.jinja;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One level of variables. As in jinja2, the template top level, each for-loop iteration, each
 * macro call and each {@code with} block get their own scope; {@code if} blocks do not. A
 * {@code set} writes into the current scope only, which is why templates use {@code namespace()}
 * to carry values out of loops.
 *
 * <p>Most scopes (one per loop iteration) hold a loop variable and {@code loop}, so names live in a
 * small array until there are more than {@link #SMALL}, then in a hash map.
 */
final class Scope {
    private static final int SMALL = 8;

    private final Scope parent;
    private String[] names = new String[2];
    private Object[] values = new Object[2];
    private int size;
    private Map<String, Object> map;

    Scope(Scope parent) {
        this.parent = parent;
    }

    /** The innermost binding of {@code name}, or an {@link Undefined} naming it. */
    Object lookup(String name) {
        for (Scope s = this; s != null; s = s.parent) {
            if (s.map != null) {
                Object v = s.map.getOrDefault(name, MISSING);
                if (v != MISSING) return v;
                continue;
            }
            for (int i = 0; i < s.size; i++) if (s.names[i].equals(name)) return s.values[i];
        }
        return Undefined.named(name);
    }

    private static final Object MISSING = new Object();

    void set(String name, Object value) {
        if (map != null) {
            map.put(name, value);
            return;
        }
        for (int i = 0; i < size; i++) {
            if (names[i].equals(name)) {
                values[i] = value;
                return;
            }
        }
        if (size == SMALL) {
            map = new HashMap<>();
            for (int i = 0; i < size; i++) map.put(names[i], values[i]);
            map.put(name, value);
            names = null;
            values = null;
            return;
        }
        if (size == names.length) {
            names = Arrays.copyOf(names, size * 2);
            values = Arrays.copyOf(values, size * 2);
        }
        names[size] = name;
        values[size++] = value;
    }
}
