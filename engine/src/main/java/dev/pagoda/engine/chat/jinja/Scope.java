package dev.pagoda.engine.chat.jinja;

import java.util.HashMap;
import java.util.Map;

/**
 * One level of variables. As in jinja2, the template top level, each for-loop iteration, each
 * macro call and each {@code with} block get their own scope; {@code if} blocks do not. A
 * {@code set} writes into the current scope only, which is why templates use {@code namespace()}
 * to carry values out of loops.
 */
final class Scope {
    private final Map<String, Object> vars = new HashMap<>();
    private final Scope parent;

    Scope(Scope parent) {
        this.parent = parent;
    }

    Object lookup(String name) {
        for (Scope s = this; s != null; s = s.parent) {
            if (s.vars.containsKey(name)) return s.vars.get(name);
        }
        return Undefined.named(name);
    }

    void set(String name, Object value) {
        vars.put(name, value);
    }
}
