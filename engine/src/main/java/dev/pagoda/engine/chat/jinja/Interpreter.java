package dev.pagoda.engine.chat.jinja;

import dev.pagoda.engine.chat.jinja.Node.*;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Walks the syntax tree and writes the output. Every expression and statement costs a step,
 * output and built strings are bounded, and macro recursion is bounded, per {@link RenderLimits};
 * errors carry the template line of the innermost node that failed.
 */
final class Interpreter {
    private enum Signal { NORMAL, BREAK, CONTINUE }

    private final RenderLimits limits;
    /** From {@link FrameAnalysis}: per frame body, the names that start out undefined there. */
    private final Map<List<Stmt>, java.util.Set<String>> undefinedAtEntry;
    private StringBuilder out = new StringBuilder();
    private long steps;
    private int callDepth;

    Interpreter(RenderLimits limits, Map<List<Stmt>, java.util.Set<String>> undefinedAtEntry) {
        this.limits = limits;
        this.undefinedAtEntry = undefinedAtEntry;
    }

    /** Renders the template body in a frame under {@code context} (globals and the caller's variables). */
    String render(List<Stmt> body, Scope context) {
        try {
            exec(body, frame(context, body));
        } catch (StackOverflowError e) {
            throw new TemplateException.LimitExceeded("template recursion too deep for the Java stack", 0);
        }
        return out.toString();
    }

    /** A new scope for running {@code body}, with the names jinja2 treats as fresh locals bound to undefined. */
    private Scope frame(Scope parent, List<Stmt> body) {
        Scope s = new Scope(parent);
        java.util.Set<String> undefined = undefinedAtEntry.get(body);
        if (undefined != null) for (String name : undefined) s.set(name, Undefined.named(name));
        return s;
    }

    private void step(int line) {
        if (++steps > limits.maxSteps()) {
            throw new TemplateException.LimitExceeded("template exceeded " + limits.maxSteps() + " evaluation steps", line);
        }
    }

    private void write(String s) {
        out.append(s);
        if (out.length() > limits.maxOutputChars()) {
            throw new TemplateException.LimitExceeded("template output exceeded " + limits.maxOutputChars() + " characters", 0);
        }
    }

    /** Runs {@code body} into a fresh buffer and returns what it wrote. */
    private String capture(List<Stmt> body, Scope scope) {
        StringBuilder saved = out;
        out = new StringBuilder();
        try {
            exec(body, scope);
            return out.toString();
        } finally {
            out = saved;
        }
    }

    // ---- statements ----

    private Signal exec(List<Stmt> body, Scope scope) {
        for (Stmt st : body) {
            Signal sig;
            try {
                sig = execOne(st, scope);
            } catch (TemplateException e) {
                throw e.atLine(st.line());
            }
            if (sig != Signal.NORMAL) return sig;
        }
        return Signal.NORMAL;
    }

    private Signal execOne(Stmt st, Scope scope) {
        step(st.line());
        switch (st) {
            case Text t -> write(t.text());
            case Output o -> write(PyValues.str(eval(o.expr(), scope)));
            case If f -> {
                for (int i = 0; i < f.tests().size(); i++) {
                    if (PyValues.truthy(eval(f.tests().get(i), scope))) return exec(f.bodies().get(i), scope);
                }
                return exec(f.otherwise(), scope);
            }
            case For f -> {
                return execFor(f, scope);
            }
            case Set s -> assign(s.target(), eval(s.value(), scope), scope);
            case SetBlock s -> {
                Object value = capture(s.body(), frame(scope, s.body()));
                if (s.filter() != null) value = applyPlaceholder(s.filter(), value, scope);
                assign(s.target(), value, scope);
            }
            case Macro m -> scope.set(m.name(), new MacroValue(m, scope));
            case FilterBlock f -> write(PyValues.str(applyPlaceholder(f.filter(), capture(f.body(), frame(scope, f.body())), scope)));
            case With w -> {
                Scope inner = frame(scope, w.body());
                for (int i = 0; i < w.targets().size(); i++) assign(w.targets().get(i), eval(w.values().get(i), scope), inner);
                return exec(w.body(), inner);
            }
            case Break b -> {
                return Signal.BREAK;
            }
            case Continue c -> {
                return Signal.CONTINUE;
            }
        }
        return Signal.NORMAL;
    }

    /** Evaluates a filter chain built over a placeholder name (filter blocks, filtered set blocks) with {@code value} in its place. */
    private Object applyPlaceholder(Expr chain, Object value, Scope scope) {
        Scope s = new Scope(scope);
        bindPlaceholder(chain, value, s);
        return eval(chain, s);
    }

    private static void bindPlaceholder(Expr chain, Object value, Scope s) {
        Expr e = chain;
        while (e instanceof Filter f) e = f.value();
        if (e instanceof Name n) s.set(n.name(), value);
    }

    private void assign(Target target, Object value, Scope scope) {
        switch (target) {
            case NameTarget n -> scope.set(n.name(), value);
            case AttrTarget a -> {
                Object ns = scope.lookup(a.name());
                if (!(ns instanceof Namespace namespace)) {
                    throw new TemplateException("cannot assign attribute on non-namespace object '" + a.name() + "'");
                }
                namespace.attrs.put(a.attr(), value);
            }
            case TupleTarget t -> {
                List<Object> values = PyValues.iterate(value);
                if (values.size() != t.items().size()) {
                    throw new TemplateException("ValueError: expected " + t.items().size() + " values to unpack, got " + values.size());
                }
                for (int i = 0; i < values.size(); i++) assign(t.items().get(i), values.get(i), scope);
            }
        }
    }

    private Signal execFor(For f, Scope scope) {
        Object iterable = eval(f.iter(), scope);
        List<Object> items = PyValues.iterate(iterable);
        runLoop(f, items, scope, 0);
        return Signal.NORMAL;
    }

    private void runLoop(For f, List<Object> items, Scope scope, int depth0) {
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                Scope probe = new Scope(scope);
                assign(f.target(), item, probe);
                if (PyValues.truthy(eval(f.filter(), probe))) kept.add(item);
            }
            items = kept;
        }
        if (items.isEmpty()) {
            exec(f.otherwise(), frame(scope, f.otherwise()));
            return;
        }
        LoopContext loop = new LoopContext(items, depth0);
        if (f.recursive()) {
            loop.recurse = (args, kw) -> {
                if (args.size() != 1) throw new TemplateException("TypeError: loop() takes exactly one argument");
                enterCall();
                StringBuilder saved = out;
                out = new StringBuilder();
                try {
                    runLoop(f, PyValues.iterate(args.get(0)), scope, depth0 + 1);
                    return out.toString();
                } finally {
                    out = saved;
                    callDepth--;
                }
            };
        }
        for (int i = 0; i < items.size(); i++) {
            step(f.line());
            loop.index0 = i;
            Scope it = frame(scope, f.body());
            assign(f.target(), items.get(i), it);
            it.set("loop", loop);
            if (exec(f.body(), it) == Signal.BREAK) break;
        }
    }

    private void enterCall() {
        if (++callDepth > limits.maxDepth()) {
            callDepth--;
            throw new TemplateException.LimitExceeded("macro calls nested deeper than " + limits.maxDepth(), 0);
        }
    }

    /** A {@code {% macro %}}: called like a function, renders its body in a scope under the one it was defined in. */
    private final class MacroValue implements JinjaCallable {
        private final Macro macro;
        private final Scope definedIn;

        MacroValue(Macro macro, Scope definedIn) {
            this.macro = macro;
            this.definedIn = definedIn;
        }

        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            List<String> params = macro.params();
            if (args.size() > params.size() && !macro.catchVarargs()) {
                throw new TemplateException("TypeError: macro '" + macro.name() + "' takes not more than " + params.size() + " argument(s)");
            }
            Map<Object, Object> extraKwargs = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : kwargs.entrySet()) {
                if (params.contains(e.getKey())) continue;
                if (!macro.catchKwargs()) throw new TemplateException("TypeError: macro '" + macro.name() + "' takes no keyword argument '" + e.getKey() + "'");
                extraKwargs.put(e.getKey(), e.getValue());
            }
            enterCall();
            try {
                Scope s = frame(definedIn, macro.body());
                int firstDefault = params.size() - macro.defaults().size();
                for (int i = 0; i < params.size(); i++) {
                    String p = params.get(i);
                    Object v;
                    if (i < args.size()) v = args.get(i);
                    else if (kwargs.containsKey(p)) v = kwargs.get(p);
                    else if (i >= firstDefault) v = eval(macro.defaults().get(i - firstDefault), s);
                    else v = Undefined.named(p);
                    s.set(p, v);
                }
                if (macro.catchVarargs()) s.set("varargs", PyTuple.of(args.size() > params.size() ? args.subList(params.size(), args.size()) : List.of()));
                if (macro.catchKwargs()) s.set("kwargs", extraKwargs);
                return capture(macro.body(), s);
            } finally {
                callDepth--;
            }
        }
    }

    // ---- expressions ----

    Object eval(Expr e, Scope scope) {
        step(e.line());
        try {
            return evalNode(e, scope);
        } catch (TemplateException ex) {
            throw ex.atLine(e.line());
        }
    }

    private Object evalNode(Expr e, Scope scope) {
        int maxLen = limits.maxOutputChars();
        return switch (e) {
            case Const c -> c.value();
            case Name n -> scope.lookup(n.name());
            case ListLit l -> {
                List<Object> list = new ArrayList<>(l.items().size());
                for (Expr x : l.items()) list.add(eval(x, scope));
                yield list;
            }
            case TupleLit t -> {
                Object[] items = new Object[t.items().size()];
                for (int i = 0; i < items.length; i++) items[i] = eval(t.items().get(i), scope);
                yield new PyTuple(items);
            }
            case DictLit d -> {
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) {
                    Object k = eval(d.keys().get(i), scope);
                    if (k instanceof List && !(k instanceof PyTuple) || k instanceof Map || k instanceof Undefined) {
                        throw new TemplateException("TypeError: unhashable type: '" + PyValues.typeName(k) + "'");
                    }
                    map.put(k, eval(d.values().get(i), scope));
                }
                yield map;
            }
            case GetAttr g -> Access.getAttr(eval(g.obj(), scope), g.name());
            case GetItem g -> Access.getItem(eval(g.obj(), scope), eval(g.key(), scope));
            case Slice s -> Access.slice(eval(s.obj(), scope), optional(s.start(), scope), optional(s.stop(), scope), optional(s.step(), scope));
            case Call c -> call(eval(c.fn(), scope), evalArgs(c.args(), scope), evalKwargs(c.kwNames(), c.kwValues(), scope));
            case Filter f -> Filters.apply(f.name(), eval(f.value(), scope), evalArgs(f.args(), scope),
                    evalKwargs(f.kwNames(), f.kwValues(), scope), maxLen);
            case Test t -> TestFunctions.apply(t.name(), eval(t.value(), scope), evalArgs(t.args(), scope)) != t.negated();
            case Binary b -> Operators.binary(b.op(), eval(b.left(), scope), eval(b.right(), scope), maxLen);
            case Unary u -> switch (u.op()) {
                case "not" -> !PyValues.truthy(eval(u.operand(), scope));
                case "-" -> Operators.negate(eval(u.operand(), scope));
                default -> Operators.plus(eval(u.operand(), scope));
            };
            case Logical l -> {
                Object left = eval(l.left(), scope);
                if (l.isAnd()) yield PyValues.truthy(left) ? eval(l.right(), scope) : left;
                yield PyValues.truthy(left) ? left : eval(l.right(), scope);
            }
            case Compare c -> {
                Object left = eval(c.first(), scope);
                for (int i = 0; i < c.ops().size(); i++) {
                    Object right = eval(c.rest().get(i), scope);
                    if (!compare(c.ops().get(i), left, right)) yield false;
                    left = right;
                }
                yield true;
            }
            case CondExpr c -> PyValues.truthy(eval(c.test(), scope))
                    ? eval(c.then(), scope)
                    : c.otherwise() == null ? new Undefined("the inline if expression was false and has no else") : eval(c.otherwise(), scope);
        };
    }

    private Object optional(Expr e, Scope scope) {
        return e == null ? null : eval(e, scope);
    }

    private static boolean compare(String op, Object a, Object b) {
        return switch (op) {
            case "==" -> PyValues.equal(a, b);
            case "!=" -> !PyValues.equal(a, b);
            case "<" -> PyValues.compare(a, b) < 0;
            case "<=" -> PyValues.compare(a, b) <= 0;
            case ">" -> PyValues.compare(a, b) > 0;
            case ">=" -> PyValues.compare(a, b) >= 0;
            case "in" -> PyValues.contains(b, a);
            case "notin" -> !PyValues.contains(b, a);
            default -> throw new TemplateException("unknown comparison " + op);
        };
    }

    private List<Object> evalArgs(List<Expr> args, Scope scope) {
        if (args.isEmpty()) return List.of();
        List<Object> out = new ArrayList<>(args.size());
        for (Expr a : args) out.add(eval(a, scope));
        return out;
    }

    private Map<String, Object> evalKwargs(List<String> names, List<Expr> values, Scope scope) {
        if (names.isEmpty()) return Map.of();
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) out.put(names.get(i), eval(values.get(i), scope));
        return out;
    }

    private static Object call(Object fn, List<Object> args, Map<String, Object> kwargs) {
        if (fn instanceof JinjaCallable c) return c.call(args, kwargs);
        if (fn instanceof LoopContext loop && loop.recurse != null) return loop.recurse.call(args, kwargs);
        if (fn instanceof Undefined u) throw u.error();
        throw new TemplateException("TypeError: '" + PyValues.typeName(fn) + "' object is not callable");
    }
}
