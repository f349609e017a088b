package dev.pagoda.engine.chat.jinja;

import java.util.List;

/** The syntax tree of a parsed template: statements ({@link Stmt}) and expressions ({@link Expr}), each with its line. */
sealed interface Node permits Node.Expr, Node.Stmt {
    int line();

    // ---- expressions ----

    sealed interface Expr extends Node {}

    record Const(Object value, int line) implements Expr {}

    record Name(String name, int line) implements Expr {}

    record ListLit(List<Expr> items, int line) implements Expr {}

    /** A tuple; evaluates to an immutable list (Python tuples and lists print alike in these templates). */
    record TupleLit(List<Expr> items, int line) implements Expr {}

    record DictLit(List<Expr> keys, List<Expr> values, int line) implements Expr {}

    /** {@code obj.name}: attribute first, then item (jinja2's getattr). */
    record GetAttr(Expr obj, String name, int line) implements Expr {}

    /** {@code obj[key]}: item first, then attribute (jinja2's getitem). */
    record GetItem(Expr obj, Expr key, int line) implements Expr {}

    /** {@code obj[start:stop:step]}, each part optional. */
    record Slice(Expr obj, Expr start, Expr stop, Expr step, int line) implements Expr {}

    record Call(Expr fn, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int line) implements Expr {}

    record Filter(Expr value, String name, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int line) implements Expr {}

    record Test(Expr value, String name, List<Expr> args, boolean negated, int line) implements Expr {}

    /** Arithmetic and concatenation: {@code + - * / // % ** ~}. */
    record Binary(String op, Expr left, Expr right, int line) implements Expr {}

    /** {@code - + not}. */
    record Unary(String op, Expr operand, int line) implements Expr {}

    /** {@code and} / {@code or}, short-circuiting and returning an operand as Python does. */
    record Logical(boolean isAnd, Expr left, Expr right, int line) implements Expr {}

    /** A comparison chain {@code a < b <= c}; ops are {@code == != < <= > >= in notin}. */
    record Compare(Expr first, List<String> ops, List<Expr> rest, int line) implements Expr {}

    /** {@code then if test else otherwise}; {@code otherwise} may be null (undefined when false). */
    record CondExpr(Expr test, Expr then, Expr otherwise, int line) implements Expr {}

    // ---- statements ----

    sealed interface Stmt extends Node {}

    record Text(String text, int line) implements Stmt {}

    record Output(Expr expr, int line) implements Stmt {}

    record If(List<Expr> tests, List<List<Stmt>> bodies, List<Stmt> otherwise, int line) implements Stmt {}

    /** Assignment targets: a name, a tuple of names, or {@code ns.attr}. */
    sealed interface Target {}

    record NameTarget(String name) implements Target {}

    record TupleTarget(List<Target> items) implements Target {}

    record AttrTarget(String name, String attr) implements Target {}

    record For(Target target, Expr iter, Expr filter, List<Stmt> body, List<Stmt> otherwise, boolean recursive, int line) implements Stmt {}

    record Set(Target target, Expr value, int line) implements Stmt {}

    /** {@code {% set x %}...{% endset %}}, optionally filtered ({@code set x | trim}). */
    record SetBlock(Target target, List<Stmt> body, Expr filter, int line) implements Stmt {}

    /** {@code catchVarargs}/{@code catchKwargs}: the body mentions {@code varargs}/{@code kwargs}, so extra arguments land there. */
    record Macro(String name, List<String> params, List<Expr> defaults, List<Stmt> body, boolean catchVarargs, boolean catchKwargs,
                 int line) implements Stmt {}

    /** {@code {% filter f %}...{% endfilter %}}; {@code filter} applies to a {@link Name} placeholder. */
    record FilterBlock(Expr filter, List<Stmt> body, int line) implements Stmt {}

    record With(List<Target> targets, List<Expr> values, List<Stmt> body, int line) implements Stmt {}

    record Break(int line) implements Stmt {}

    record Continue(int line) implements Stmt {}
}
