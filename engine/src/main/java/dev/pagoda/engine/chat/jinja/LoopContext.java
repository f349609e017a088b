package dev.pagoda.engine.chat.jinja;

import java.util.List;

/** The {@code loop} variable inside {@code {% for %}}: index, first/last, neighbours, length, {@code cycle(...)}. */
final class LoopContext {
    private final List<Object> items;
    private final int depth0;
    int index0;
    /** For {@code recursive} loops: {@code loop(children)} renders the body again one level deeper. */
    JinjaCallable recurse;

    LoopContext(List<Object> items, int depth0) {
        this.items = items;
        this.depth0 = depth0;
    }

    /** An attribute of {@code loop}, or null when it has none. */
    Object attribute(String name) {
        int n = items.size();
        return switch (name) {
            case "index" -> (long) index0 + 1;
            case "index0" -> (long) index0;
            case "revindex" -> (long) (n - index0);
            case "revindex0" -> (long) (n - index0 - 1);
            case "first" -> index0 == 0;
            case "last" -> index0 == n - 1;
            case "length" -> (long) n;
            case "depth" -> (long) depth0 + 1;
            case "depth0" -> (long) depth0;
            case "previtem" -> index0 > 0 ? items.get(index0 - 1) : Undefined.named("loop.previtem");
            case "nextitem" -> index0 + 1 < n ? items.get(index0 + 1) : Undefined.named("loop.nextitem");
            case "cycle" -> (JinjaCallable) (args, kwargs) -> {
                if (args.isEmpty()) throw new TemplateException("TypeError: no items for cycling given");
                return args.get(index0 % args.size());
            };
            default -> null;
        };
    }
}
