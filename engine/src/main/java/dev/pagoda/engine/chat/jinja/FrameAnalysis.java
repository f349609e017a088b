package dev.pagoda.engine.chat.jinja;

import dev.pagoda.engine.chat.jinja.Node.*;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;


/**
 * jinja2's compile-time symbol tracking ({@code idtracking.py}), reduced to the one effect it has on
 * output: in a frame (the template, a loop body, a macro, a {@code with} block), a name whose first
 * mention in that frame's own code is an assignment becomes a local that starts out undefined, unless
 * an enclosing frame knows the name. Until the assignment runs, nested frames (loops, macros) see it
 * undefined, even if a variable of that name was passed in. E.g. in
 * {@code {% for m in ms %}{{ y }}{% endfor %}{% set y = 1 %}} the loop prints nothing for a passed-in y.
 *
 * <p>The result maps each frame body (by identity) to the names to pre-bind as undefined when the frame is entered.
 */
final class FrameAnalysis {
    private enum Load { RESOLVE, ALIAS, UNDEFINED, PARAMETER }

    /** One frame's names, as jinja2's {@code Symbols}: how each is initialized, and which are assigned. */
    private static final class Symbols {
        final Symbols parent;
        final Map<String, Load> refs = new HashMap<>();
        final java.util.Set<String> stores = new HashSet<>();

        Symbols(Symbols parent) {
            this.parent = parent;
        }

        boolean knows(String name) {
            for (Symbols s = this; s != null; s = s.parent) if (s.refs.containsKey(name)) return true;
            return false;
        }

        void load(String name) {
            if (!knows(name)) refs.put(name, Load.RESOLVE);
        }

        void store(String name) {
            stores.add(name);
            if (refs.containsKey(name)) return;
            refs.put(name, parent != null && parent.knows(name) ? Load.ALIAS : Load.UNDEFINED);
        }

        void parameter(String name) {
            stores.add(name);
            refs.put(name, Load.PARAMETER);
        }

        Symbols copy() {
            Symbols c = new Symbols(parent);
            c.refs.putAll(refs);
            c.stores.addAll(stores);
            return c;
        }

        /** After an if: a name assigned in only some branches is resolved from outside instead. */
        void branchUpdate(List<Symbols> branches) {
            Map<String, Integer> counts = new HashMap<>();
            for (Symbols b : branches) {
                for (String t : b.stores) if (!stores.contains(t)) counts.merge(t, 1, Integer::sum);
            }
            for (Symbols b : branches) {
                refs.putAll(b.refs);
                stores.addAll(b.stores);
            }
            counts.forEach((name, n) -> {
                if (n != branches.size()) refs.put(name, parent != null && parent.knows(name) ? Load.ALIAS : Load.RESOLVE);
            });
        }
    }

    private final Map<List<Stmt>, java.util.Set<String>> undefinedAtEntry = new IdentityHashMap<>();
    /** Every name read anywhere in the analyzed code, nested frames included. */
    private final java.util.Set<String> loaded = new HashSet<>();

    private FrameAnalysis() {}

    /** Frame body → names that start out undefined in it. */
    static Map<List<Stmt>, java.util.Set<String>> analyze(List<Stmt> template) {
        FrameAnalysis a = new FrameAnalysis();
        a.frame(template, null, List.of(), List.of());
        return a.undefinedAtEntry;
    }

    /** The names a body reads, nested loops and macros included (jinja2's {@code find_undeclared} for macros). */
    static java.util.Set<String> namesLoaded(List<Stmt> body) {
        FrameAnalysis a = new FrameAnalysis();
        a.frame(body, null, List.of(), List.of());
        return a.loaded;
    }

    private void frame(List<Stmt> body, Symbols parent, List<String> parameters, List<Expr> parameterDefaults) {
        Symbols s = new Symbols(parent);
        for (String p : parameters) s.parameter(p);
        for (Expr d : parameterDefaults) expr(d, s);
        List<Runnable> nested = new ArrayList<>();
        statements(body, s, nested);
        java.util.Set<String> undefined = new HashSet<>();
        s.refs.forEach((name, load) -> {
            if (load == Load.UNDEFINED) undefined.add(name);
        });
        if (!undefined.isEmpty()) undefinedAtEntry.put(body, undefined);
        for (Runnable r : nested) r.run(); // nested frames see this frame's complete symbols
    }

    private void statements(List<Stmt> body, Symbols s, List<Runnable> nested) {
        for (Stmt st : body) statement(st, s, nested);
    }

    private void statement(Stmt st, Symbols s, List<Runnable> nested) {
        switch (st) {
            case Text t -> { }
            case Output o -> expr(o.expr(), s);
            case If f -> ifStatement(f, s, nested);
            case For f -> {
                expr(f.iter(), s);
                nested.add(() -> {
                    List<String> targets = new ArrayList<>();
                    targetNames(f.target(), targets);
                    frame(f.body(), s, targets, f.filter() == null ? List.of() : List.of(f.filter()));
                    frame(f.otherwise(), s, List.of(), List.of());
                });
            }
            case Set a -> {
                expr(a.value(), s);
                target(a.target(), s);
            }
            case SetBlock a -> {
                target(a.target(), s);
                nested.add(() -> frame(a.body(), s, List.of(), List.of()));
            }
            case Macro m -> {
                s.store(m.name());
                nested.add(() -> frame(m.body(), s, m.params(), m.defaults()));
            }
            case FilterBlock f -> {
                expr(f.filter(), s);
                nested.add(() -> frame(f.body(), s, List.of(), List.of()));
            }
            case With w -> {
                for (Expr v : w.values()) expr(v, s);
                nested.add(() -> {
                    List<String> targets = new ArrayList<>();
                    for (Target t : w.targets()) targetNames(t, targets);
                    frame(w.body(), s, targets, List.of());
                });
            }
            case Break b -> { }
            case Continue c -> { }
        }
    }

    /** jinja2 nests each elif as an if (with empty elif and else) inside one shared "elif" branch. */
    private void ifStatement(If f, Symbols s, List<Runnable> nested) {
        expr(f.tests().get(0), s);
        Symbols body = s.copy();
        statements(f.bodies().get(0), body, nested);
        Symbols elifs = s.copy();
        for (int i = 1; i < f.tests().size(); i++) {
            expr(f.tests().get(i), elifs);
            Symbols elifBody = elifs.copy();
            statements(f.bodies().get(i), elifBody, nested);
            elifs.branchUpdate(List.of(elifBody, elifs.copy(), elifs.copy()));
        }
        Symbols otherwise = s.copy();
        statements(f.otherwise(), otherwise, nested);
        s.branchUpdate(List.of(body, elifs, otherwise));
    }

    private static void targetNames(Target t, List<String> out) {
        switch (t) {
            case NameTarget n -> out.add(n.name());
            case TupleTarget tt -> tt.items().forEach(i -> targetNames(i, out));
            case AttrTarget a -> { }
        }
    }

    private void target(Target t, Symbols s) {
        switch (t) {
            case NameTarget n -> s.store(n.name());
            case TupleTarget tt -> tt.items().forEach(i -> target(i, s));
            case AttrTarget a -> s.load(a.name());
        }
    }

    private void expr(Expr e, Symbols s) {
        switch (e) {
            case Const c -> { }
            case Name n -> {
                loaded.add(n.name());
                s.load(n.name());
            }
            case ListLit l -> l.items().forEach(x -> expr(x, s));
            case TupleLit t -> t.items().forEach(x -> expr(x, s));
            case DictLit d -> {
                for (int i = 0; i < d.keys().size(); i++) {
                    expr(d.keys().get(i), s);
                    expr(d.values().get(i), s);
                }
            }
            case GetAttr g -> expr(g.obj(), s);
            case GetItem g -> {
                expr(g.obj(), s);
                expr(g.key(), s);
            }
            case Slice sl -> {
                expr(sl.obj(), s);
                for (Expr x : new Expr[] {sl.start(), sl.stop(), sl.step()}) if (x != null) expr(x, s);
            }
            case Call c -> {
                expr(c.fn(), s);
                c.args().forEach(x -> expr(x, s));
                c.kwValues().forEach(x -> expr(x, s));
            }
            case Filter f -> {
                expr(f.value(), s);
                f.args().forEach(x -> expr(x, s));
                f.kwValues().forEach(x -> expr(x, s));
            }
            case Test t -> {
                expr(t.value(), s);
                t.args().forEach(x -> expr(x, s));
            }
            case Binary b -> {
                expr(b.left(), s);
                expr(b.right(), s);
            }
            case Unary u -> expr(u.operand(), s);
            case Logical l -> {
                expr(l.left(), s);
                expr(l.right(), s);
            }
            case Compare c -> {
                expr(c.first(), s);
                c.rest().forEach(x -> expr(x, s));
            }
            case CondExpr c -> {
                expr(c.test(), s);
                expr(c.then(), s);
                if (c.otherwise() != null) expr(c.otherwise(), s);
            }
        }
    }
}
