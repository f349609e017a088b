package dev.pagoda.engine.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A one-shot Python generator or iterator, as jinja2's {@code map}, {@code select}, {@code reject},
 * {@code selectattr}, {@code rejectattr}, {@code unique}, {@code batch}, {@code items} and
 * {@code reverse} (of a list) return. It is lazy (an error in the source only surfaces when it is
 * consumed), always truthy, has no {@code len()}, cannot be indexed or serialized to JSON, and a
 * second iteration sees only what the first left. Piped into {@code list}, {@code join} or a for
 * loop it behaves exactly like a list; the rest fails as in Python.
 */
final class PyGenerator {
    private Supplier<List<Object>> source;
    private List<Object> items;
    private int pos;

    PyGenerator(Supplier<List<Object>> source) {
        this.source = source;
    }

    private List<Object> items() {
        if (items == null) {
            items = source.get();
            source = null;
        }
        return items;
    }

    /** The remaining items; the generator is exhausted afterwards. */
    List<Object> drain() {
        List<Object> all = items();
        List<Object> rest = new ArrayList<>(all.subList(pos, all.size()));
        pos = all.size();
        return rest;
    }

    /** Python's {@code next(gen, ifExhausted)}. */
    Object next(Object ifExhausted) {
        List<Object> all = items();
        return pos < all.size() ? all.get(pos++) : ifExhausted;
    }
}
