package dev.pagoda.engine.chat.jinja;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A compiled Jinja template, rendered as jinja2 would with Hugging Face's chat-template settings
 * ({@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)}, loop controls,
 * {@code raise_exception}, {@code strftime_now}, {@code tojson} as {@code json.dumps}).
 *
 * <p>Sandboxed: the template sees only the JSON-like values it is given (copied in as None, bool,
 * int, float, str, list, dict) and the globals above; output, steps and nesting are bounded by
 * {@link RenderLimits}. Immutable and thread-safe once parsed.
 */
public final class Template {
    private final List<Node.Stmt> body;
    private final Map<List<Node.Stmt>, java.util.Set<String>> undefinedAtEntry;

    private Template(List<Node.Stmt> body) {
        this.body = body;
        this.undefinedAtEntry = FrameAnalysis.analyze(body);
    }

    /** Parses {@code source}; a syntax error, unknown tag, filter or test is a {@link TemplateException}. */
    public static Template parse(String source) {
        try {
            return new Template(Parser.parse(source));
        } catch (StackOverflowError e) {
            throw new TemplateException("template nesting too deep to parse");
        }
    }

    /** Renders with default limits and the real local clock for {@code strftime_now}. */
    public String render(Map<String, ?> variables) {
        return render(variables, RenderLimits.DEFAULT, LocalDateTime::now);
    }

    /**
     * @param variables JSON-like values: null, Boolean, Integer/Long, Float/Double, String, List, Map with String keys
     * @param clock     what {@code strftime_now} formats (tests pin it)
     */
    public String render(Map<String, ?> variables, RenderLimits limits, Supplier<LocalDateTime> clock) {
        Scope globals = new Scope(null);
        Globals.install(globals, clock);
        Scope context = new Scope(globals);
        variables.forEach((k, v) -> context.set(k, importValue(v, k, 0)));
        return new Interpreter(limits, undefinedAtEntry).render(body, context);
    }

    /** Copies a caller's value into template values, so that no other Java object ever reaches the template. */
    static Object importValue(Object v, String path, int depth) {
        if (depth > 512) throw new IllegalArgumentException("template variable " + path + " is nested too deeply");
        if (v == null || v instanceof Boolean || v instanceof Long || v instanceof Double || v instanceof String) return v;
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof Float f) return f.doubleValue();
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (int i = 0; i < l.size(); i++) out.add(importValue(l.get(i), path + "[" + i + "]", depth + 1));
            return out;
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) throw new IllegalArgumentException("template variable " + path + " has a non-string key " + e.getKey());
                out.put(key, importValue(e.getValue(), path + "." + key, depth + 1));
            }
            return out;
        }
        throw new IllegalArgumentException("template variable " + path + " has unsupported type " + v.getClass().getName());
    }
}
