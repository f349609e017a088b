package dev.pagoda.engine.chat.jinja;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The global functions a chat template can call: jinja2's {@code range}, {@code namespace},
 * {@code dict}, {@code joiner}, and Hugging Face's {@code raise_exception} and {@code strftime_now}.
 */
final class Globals {
    private Globals() {}

    /** jinja2's sandbox refuses larger ranges. */
    static final int MAX_RANGE = 100_000;

    static void install(Scope scope, Supplier<LocalDateTime> clock) {
        scope.set("range", (JinjaCallable) (a, kw) -> range(a));
        scope.set("namespace", (JinjaCallable) (a, kw) -> {
            Namespace ns = new Namespace();
            for (Object x : a) {
                if (!(x instanceof Map<?, ?> m)) throw new TemplateException("TypeError: namespace() takes mappings or keyword arguments");
                m.forEach((k, v) -> ns.attrs.put(PyValues.str(k), v));
            }
            ns.attrs.putAll(kw);
            return ns;
        });
        scope.set("dict", (JinjaCallable) (a, kw) -> {
            Map<Object, Object> m = new LinkedHashMap<>();
            for (Object x : a) {
                if (x instanceof Map<?, ?> src) m.putAll(src);
                else throw new TemplateException("TypeError: dict() positional argument must be a mapping");
            }
            m.putAll(kw);
            return m;
        });
        scope.set("joiner", (JinjaCallable) (a, kw) -> {
            String sep = PyValues.str(Methods.arg(a, kw, 0, "sep", ", "));
            boolean[] used = {false};
            return (JinjaCallable) (a2, kw2) -> {
                if (!used[0]) {
                    used[0] = true;
                    return "";
                }
                return sep;
            };
        });
        scope.set("raise_exception", (JinjaCallable) (a, kw) -> {
            throw new TemplateException.Raised(PyValues.str(Methods.arg(a, kw, 0, "message", "")), 0);
        });
        scope.set("strftime_now", (JinjaCallable) (a, kw) ->
                PyFormat.strftime(PyValues.str(Methods.arg(a, kw, 0, "format", "")), clock.get()));
    }

    private static List<Object> range(List<Object> a) {
        for (Object x : a) {
            if (!PyValues.isInt(x)) throw new TemplateException("TypeError: '" + PyValues.typeName(x) + "' object cannot be interpreted as an integer");
        }
        long start = 0, stop, step = 1;
        switch (a.size()) {
            case 1 -> stop = PyValues.toLong(a.get(0));
            case 2, 3 -> {
                start = PyValues.toLong(a.get(0));
                stop = PyValues.toLong(a.get(1));
                if (a.size() == 3) step = PyValues.toLong(a.get(2));
            }
            default -> throw new TemplateException("TypeError: range expected 1 to 3 arguments, got " + a.size());
        }
        if (step == 0) throw new TemplateException("ValueError: range() arg 3 must not be zero");
        long count = step > 0 ? (stop - start + step - 1) / step : (start - stop - step - 1) / -step;
        if (count > MAX_RANGE) {
            throw new TemplateException("OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (" + MAX_RANGE + ").");
        }
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < count; i++) out.add(start + i * step);
        return out;
    }
}
