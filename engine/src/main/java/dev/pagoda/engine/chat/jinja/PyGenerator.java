package dev.pagoda.engine.chat.jinja;

import java.util.ArrayList;
import java.util.List;

/**
 * What jinja2's {@code map}, {@code select}, {@code reject}, {@code selectattr} and {@code rejectattr}
 * return: a one-shot Python generator. It is always truthy, has no {@code len()}, cannot be indexed
 * or serialized to JSON, and a second iteration sees only what the first left. Templates that pipe
 * it into {@code list}, {@code join} or a for loop behave exactly as with a list; the rest fail as in Python.
 */
final class PyGenerator {
    private final List<Object> items;
    private int pos;

    PyGenerator(List<Object> items) {
        this.items = items;
    }

    /** The remaining items; the generator is exhausted afterwards. */
    List<Object> drain() {
        List<Object> rest = new ArrayList<>(items.subList(pos, items.size()));
        pos = items.size();
        return rest;
    }
}
