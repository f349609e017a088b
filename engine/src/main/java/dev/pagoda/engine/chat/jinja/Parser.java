package dev.pagoda.engine.chat.jinja;

import dev.pagoda.engine.chat.jinja.Node.*;
import dev.pagoda.engine.chat.jinja.Token.Type;
import java.util.ArrayList;
import java.util.List;

/**
 * Recursive-descent parser from tokens to {@link Node}s, following jinja2's grammar and operator
 * precedence (lowest first): inline if, or, and, not, comparisons/in, + -, ~, * / // %, **, unary
 * minus, then postfix ({@code .attr [key] (call)}) and filters/tests ({@code |f}, {@code is t}).
 * Unknown filters and tests are rejected here, as jinja2 does at compile time.
 */
final class Parser {
    /** Deeper syntax than this is rejected instead of overflowing the Java stack. */
    static final int MAX_NESTING = 200;

    private final List<Token> toks;
    private int p;
    private int depth;
    /**
     * jinja2 reports an unknown filter or test at compile time, except directly inside an
     * {@code if} block or an inline if ("soft" frames), where it fails only when evaluated.
     */
    private boolean soft;
    private final List<Token> unknownNames = new ArrayList<>();

    private Parser(List<Token> toks) {
        this.toks = toks;
    }

    static List<Stmt> parse(String source) {
        Parser ps = new Parser(Lexer.tokenize(source));
        List<Stmt> body = ps.parseBody();
        if (ps.peek().type() != Type.EOF) throw ps.error("unexpected " + ps.peek().describe());
        if (!ps.unknownNames.isEmpty()) {
            Token t = ps.unknownNames.get(0);
            throw new TemplateException("no " + t.text(), t.line());
        }
        return body;
    }

    // ---- token helpers ----

    private Token peek() {
        return toks.get(p);
    }

    private Token peek(int ahead) {
        return toks.get(Math.min(p + ahead, toks.size() - 1));
    }

    private Token next() {
        Token t = toks.get(p);
        if (t.type() != Type.EOF) p++;
        return t;
    }

    private boolean acceptOp(String op) {
        if (peek().isOperator(op)) {
            p++;
            return true;
        }
        return false;
    }

    private boolean acceptName(String name) {
        if (peek().isName(name)) {
            p++;
            return true;
        }
        return false;
    }

    private void expectOp(String op) {
        if (!acceptOp(op)) throw error("expected '" + op + "', got " + peek().describe());
    }

    private String expectName() {
        Token t = next();
        if (t.type() != Type.NAME) throw new TemplateException("expected a name, got " + t.describe(), t.line());
        return t.text();
    }

    private void expect(Type type) {
        Token t = next();
        if (t.type() != type) throw new TemplateException("expected " + (type == Type.BLOCK_END ? "'%}'" : "'}}'") + ", got " + t.describe(), t.line());
    }

    private TemplateException error(String message) {
        return new TemplateException(message, peek().line());
    }

    private void enter() {
        if (++depth > MAX_NESTING) throw error("template nesting deeper than " + MAX_NESTING);
    }

    // ---- statements ----

    /** Parses until EOF or a block tag named in {@code ends}; leaves the position on that tag's name. */
    private List<Stmt> parseBody(String... ends) {
        List<Stmt> body = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.type()) {
                case DATA -> body.add(new Text(next().text(), t.line()));
                case VARIABLE_BEGIN -> {
                    next();
                    Expr e = parseTuple(false, true, List.of(), false);
                    expect(Type.VARIABLE_END);
                    body.add(new Output(e, t.line()));
                }
                case BLOCK_BEGIN -> {
                    Token name = peek(1);
                    if (name.type() == Type.NAME && List.of(ends).contains(name.text())) {
                        next();
                        return body;
                    }
                    next();
                    body.add(parseStatement());
                }
                case EOF -> {
                    if (ends.length > 0) {
                        String close = List.of(ends).stream().filter(e -> e.startsWith("end")).findFirst().orElse(ends[0]);
                        throw new TemplateException("unexpected end of template: missing {% " + close + " %}", t.line());
                    }
                    return body;
                }
                default -> throw new TemplateException("unexpected " + t.describe(), t.line());
            }
        }
    }

    /** Consumes {@code name %}} at the end of a block. */
    private void endTag(String name) {
        Token t = next();
        if (!t.isName(name)) throw new TemplateException("expected '" + name + "', got " + t.describe(), t.line());
        expect(Type.BLOCK_END);
    }

    private Stmt parseStatement() {
        Token t = peek();
        if (t.type() != Type.NAME) throw error("expected a tag name, got " + t.describe());
        enter();
        boolean savedSoft = soft;
        soft = t.text().equals("if") || (soft && (t.text().equals("set") || t.text().equals("break") || t.text().equals("continue")));
        try {
            return switch (t.text()) {
                case "if" -> parseIf();
                case "for" -> parseFor();
                case "set" -> parseSet();
                case "macro" -> parseMacro();
                case "filter" -> parseFilterBlock();
                case "with" -> parseWith();
                case "generation" -> parseGeneration();
                case "break" -> {
                    next();
                    expect(Type.BLOCK_END);
                    yield new Break(t.line());
                }
                case "continue" -> {
                    next();
                    expect(Type.BLOCK_END);
                    yield new Continue(t.line());
                }
                default -> throw new TemplateException("unknown or unsupported tag '" + t.text() + "'", t.line());
            };
        } finally {
            depth--;
            soft = savedSoft;
        }
    }

    private Stmt parseIf() {
        int line = next().line();
        List<Expr> tests = new ArrayList<>();
        List<List<Stmt>> bodies = new ArrayList<>();
        List<Stmt> otherwise = List.of();
        tests.add(parseTuple(false, true, List.of(), false));
        expect(Type.BLOCK_END);
        while (true) {
            bodies.add(parseBody("elif", "else", "endif"));
            Token tag = next();
            if (tag.text().equals("elif")) {
                tests.add(parseTuple(false, true, List.of(), false));
                expect(Type.BLOCK_END);
            } else if (tag.text().equals("else")) {
                expect(Type.BLOCK_END);
                otherwise = parseBody("endif");
                endTag("endif");
                break;
            } else {
                expect(Type.BLOCK_END);
                break;
            }
        }
        return new If(tests, bodies, otherwise, line);
    }

    private Stmt parseFor() {
        int line = next().line();
        Target target = parseAssignTarget(List.of("in"));
        if (!acceptName("in")) throw error("expected 'in' in for loop, got " + peek().describe());
        Expr iter = parseTuple(false, false, List.of("recursive"), false);
        Expr filter = null;
        if (acceptName("if")) filter = parseExpression(true);
        boolean recursive = acceptName("recursive");
        expect(Type.BLOCK_END);
        List<Stmt> body = parseBody("endfor", "else");
        List<Stmt> otherwise = List.of();
        if (next().text().equals("else")) {
            expect(Type.BLOCK_END);
            otherwise = parseBody("endfor");
            next();
        }
        expect(Type.BLOCK_END);
        return new For(target, iter, filter, body, otherwise, recursive, line);
    }

    private Stmt parseSet() {
        int line = next().line();
        Target target = parseAssignTarget(List.of());
        if (acceptOp("=")) {
            Expr value = parseTuple(false, true, List.of(), false);
            expect(Type.BLOCK_END);
            return new Set(target, value, line);
        }
        Expr filter = null;
        if (peek().isOperator("|")) filter = parseFilterChain(new Name("<set block>", line));
        expect(Type.BLOCK_END);
        List<Stmt> body = parseBody("endset");
        endTag("endset");
        return new SetBlock(target, body, filter, line);
    }

    private Stmt parseMacro() {
        int line = next().line();
        String name = expectName();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        expectOp("(");
        while (!acceptOp(")")) {
            if (!params.isEmpty()) expectOp(",");
            if (acceptOp(")")) break;
            params.add(expectName());
            if (acceptOp("=")) defaults.add(parseExpression(true));
            else if (!defaults.isEmpty()) throw error("non-default argument follows default argument");
        }
        expect(Type.BLOCK_END);
        List<Stmt> body = parseBody("endmacro");
        next();
        if (peek().type() == Type.NAME) next(); // {% endmacro name %}
        expect(Type.BLOCK_END);
        return new Macro(name, params, defaults, body, line);
    }

    private Stmt parseFilterBlock() {
        int line = next().line();
        Expr filter = parseFilterChain(new Name("<filter block>", line), true);
        expect(Type.BLOCK_END);
        List<Stmt> body = parseBody("endfilter");
        endTag("endfilter");
        return new FilterBlock(filter, body, line);
    }

    private Stmt parseWith() {
        int line = next().line();
        List<Target> targets = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (peek().type() != Type.BLOCK_END) {
            if (!targets.isEmpty()) expectOp(",");
            targets.add(parseAssignTarget(List.of()));
            expectOp("=");
            values.add(parseExpression(true));
        }
        expect(Type.BLOCK_END);
        List<Stmt> body = parseBody("endwith");
        endTag("endwith");
        return new With(targets, values, body, line);
    }

    /** Hugging Face's {@code {% generation %}} marks assistant text for masks; rendering just runs the body in its own scope. */
    private Stmt parseGeneration() {
        int line = next().line();
        expect(Type.BLOCK_END);
        List<Stmt> body = parseBody("endgeneration");
        endTag("endgeneration");
        return new With(List.of(), List.of(), body, line);
    }

    private Target parseAssignTarget(List<String> extraEnd) {
        List<Target> items = new ArrayList<>();
        boolean tuple = false;
        while (true) {
            String name = expectName();
            if (acceptOp(".")) {
                items.add(new AttrTarget(name, expectName()));
            } else {
                items.add(new NameTarget(name));
            }
            if (!acceptOp(",")) break;
            tuple = true;
            if (peek().type() != Type.NAME || extraEnd.contains(peek().text())) break;
        }
        if (!tuple) return items.get(0);
        for (Target t : items) if (t instanceof AttrTarget) throw error("cannot assign to an attribute inside a tuple");
        return new TupleTarget(items);
    }

    // ---- expressions ----

    private Expr parseExpression(boolean withCondExpr) {
        return withCondExpr ? parseCondExpr() : parseOr();
    }

    /** A comma-separated list becomes a tuple; a single expression stays itself. */
    private Expr parseTuple(boolean simplified, boolean withCondExpr, List<String> extraEnd, boolean explicitParens) {
        int line = peek().line();
        List<Expr> args = new ArrayList<>();
        boolean isTuple = false;
        while (true) {
            if (!args.isEmpty()) expectOp(",");
            if (isTupleEnd(extraEnd)) break;
            args.add(simplified ? parsePostfix(parsePrimary()) : parseExpression(withCondExpr));
            if (peek().isOperator(",")) isTuple = true;
            else break;
        }
        if (!isTuple) {
            if (!args.isEmpty()) return args.get(0);
            if (!explicitParens) throw error("expected an expression, got " + peek().describe());
        }
        return new TupleLit(args, line);
    }

    private boolean isTupleEnd(List<String> extraEnd) {
        Token t = peek();
        return t.type() == Type.VARIABLE_END || t.type() == Type.BLOCK_END || t.isOperator(")")
                || (t.type() == Type.NAME && extraEnd.contains(t.text()));
    }

    private Expr parseCondExpr() {
        int mark = unknownNames.size();
        Expr expr = parseOr();
        while (peek().isName("if")) {
            int line = next().line();
            Expr test = parseOr();
            Expr otherwise = acceptName("else") ? parseCondExpr() : null;
            expr = new CondExpr(test, expr, otherwise, line);
            unknownNames.subList(mark, unknownNames.size()).clear(); // an inline if is a soft frame
        }
        return expr;
    }

    private Expr parseOr() {
        Expr left = parseAnd();
        while (peek().isName("or")) {
            int line = next().line();
            left = new Logical(false, left, parseAnd(), line);
        }
        return left;
    }

    private Expr parseAnd() {
        Expr left = parseNot();
        while (peek().isName("and")) {
            int line = next().line();
            left = new Logical(true, left, parseNot(), line);
        }
        return left;
    }

    private Expr parseNot() {
        if (peek().isName("not")) {
            int line = next().line();
            enter();
            try {
                return new Unary("not", parseNot(), line);
            } finally {
                depth--;
            }
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        int line = peek().line();
        Expr first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.type() == Type.OPERATOR && List.of("==", "!=", "<", ">", "<=", ">=").contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && peek(1).isName("in")) {
                p += 2;
                ops.add("notin");
            } else {
                break;
            }
            rest.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Compare(first, ops, rest, line);
    }

    private Expr parseMath1() {
        Expr left = parseConcat();
        while (peek().isOperator("+") || peek().isOperator("-")) {
            Token op = next();
            left = new Binary(op.text(), left, parseConcat(), op.line());
        }
        return left;
    }

    private Expr parseConcat() {
        Expr left = parseMath2();
        while (peek().isOperator("~")) {
            Token op = next();
            left = new Binary("~", left, parseMath2(), op.line());
        }
        return left;
    }

    private Expr parseMath2() {
        Expr left = parsePow();
        while (peek().type() == Type.OPERATOR && List.of("*", "/", "//", "%").contains(peek().text())) {
            Token op = next();
            left = new Binary(op.text(), left, parsePow(), op.line());
        }
        return left;
    }

    private Expr parsePow() {
        Expr left = parseUnary(true);
        while (peek().isOperator("**")) {
            Token op = next();
            left = new Binary("**", left, parseUnary(true), op.line());
        }
        return left;
    }

    private Expr parseUnary(boolean withFilter) {
        enter();
        try {
            Token t = peek();
            Expr node;
            if (t.isOperator("-") || t.isOperator("+")) {
                next();
                node = new Unary(t.text(), parseUnary(false), t.line());
            } else {
                node = parsePrimary();
            }
            node = parsePostfix(node);
            return withFilter ? parseFilterChain(node) : node;
        } finally {
            depth--;
        }
    }

    private Expr parsePrimary() {
        Token t = next();
        switch (t.type()) {
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Const(Boolean.TRUE, t.line());
                    case "false", "False" -> new Const(Boolean.FALSE, t.line());
                    case "none", "None" -> new Const(null, t.line());
                    default -> new Name(t.text(), t.line());
                };
            }
            case STRING -> {
                StringBuilder sb = new StringBuilder(t.text());
                while (peek().type() == Type.STRING) sb.append(next().text());
                return new Const(sb.toString(), t.line());
            }
            case INTEGER -> {
                return new Const(parseInteger(t), t.line());
            }
            case FLOAT -> {
                return new Const(Double.parseDouble(t.text()), t.line());
            }
            case OPERATOR -> {
                switch (t.text()) {
                    case "(" -> {
                        Expr e = parseTuple(false, true, List.of(), true);
                        expectOp(")");
                        return e;
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!acceptOp("]")) {
                            if (!items.isEmpty()) expectOp(",");
                            if (acceptOp("]")) break;
                            items.add(parseExpression(true));
                        }
                        return new ListLit(items, t.line());
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!acceptOp("}")) {
                            if (!keys.isEmpty()) expectOp(",");
                            if (acceptOp("}")) break;
                            keys.add(parseExpression(true));
                            expectOp(":");
                            values.add(parseExpression(true));
                        }
                        return new DictLit(keys, values, t.line());
                    }
                    default -> { }
                }
            }
            default -> { }
        }
        throw new TemplateException("unexpected " + t.describe(), t.line());
    }

    private static Long parseInteger(Token t) {
        String s = t.text().toLowerCase(java.util.Locale.ROOT);
        try {
            if (s.startsWith("0b")) return Long.parseLong(s.substring(2), 2);
            if (s.startsWith("0o")) return Long.parseLong(s.substring(2), 8);
            if (s.startsWith("0x")) return Long.parseLong(s.substring(2), 16);
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new TemplateException("integer literal out of range: " + t.text(), t.line());
        }
    }

    private Expr parsePostfix(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOperator(".")) {
                next();
                Token a = next();
                if (a.type() == Type.NAME) node = new GetAttr(node, a.text(), a.line());
                else if (a.type() == Type.INTEGER) node = new GetItem(node, new Const(parseInteger(a), a.line()), a.line());
                else throw new TemplateException("expected an attribute name after '.', got " + a.describe(), a.line());
            } else if (t.isOperator("[")) {
                next();
                node = parseSubscript(node, t.line());
            } else if (t.isOperator("(")) {
                node = parseCall(node);
            } else {
                return node;
            }
        }
    }

    private Expr parseSubscript(Expr obj, int line) {
        Expr start = null;
        if (!peek().isOperator(":")) {
            start = parseExpression(true);
            if (acceptOp("]")) return new GetItem(obj, start, line);
        }
        expectOp(":");
        Expr stop = null, step = null;
        if (!peek().isOperator("]") && !peek().isOperator(":")) stop = parseExpression(true);
        if (acceptOp(":")) {
            if (!peek().isOperator("]")) step = parseExpression(true);
        }
        expectOp("]");
        return new Slice(obj, start, stop, step, line);
    }

    private record Args(List<Expr> args, List<String> kwNames, List<Expr> kwValues) {}

    private Args parseCallArgs() {
        expectOp("(");
        List<Expr> args = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Expr> kwValues = new ArrayList<>();
        boolean first = true;
        while (!acceptOp(")")) {
            if (!first) {
                expectOp(",");
                if (acceptOp(")")) break;
            }
            first = false;
            if (peek().isOperator("*") || peek().isOperator("**")) throw error("*args and **kwargs in calls are not supported");
            if (peek().type() == Type.NAME && peek(1).isOperator("=")) {
                kwNames.add(next().text());
                next();
                kwValues.add(parseExpression(true));
            } else {
                if (!kwNames.isEmpty()) throw error("positional argument follows keyword argument");
                args.add(parseExpression(true));
            }
        }
        return new Args(args, kwNames, kwValues);
    }

    private Expr parseCall(Expr fn) {
        int line = peek().line();
        Args a = parseCallArgs();
        return new Call(fn, a.args(), a.kwNames(), a.kwValues(), line);
    }

    private Expr parseFilterChain(Expr node) {
        return parseFilterChain(node, false);
    }

    /** {@code |f(args) is t(args) (call)} after a unary expression; {@code startsWithName} for filter blocks ({@code {% filter f %}}). */
    private Expr parseFilterChain(Expr node, boolean startsWithName) {
        boolean pendingFilter = startsWithName;
        while (true) {
            Token t = peek();
            if (pendingFilter || t.isOperator("|")) {
                if (!pendingFilter) next();
                pendingFilter = false;
                Token nameTok = peek();
                String name = dottedName();
                if (!Filters.exists(name) && !soft) unknownNames.add(new Token(Type.NAME, "filter named '" + name + "'", nameTok.line()));
                Args a = peek().isOperator("(") ? parseCallArgs() : new Args(List.of(), List.of(), List.of());
                node = new Filter(node, name, a.args(), a.kwNames(), a.kwValues(), nameTok.line());
            } else if (t.isName("is")) {
                next();
                boolean negated = acceptName("not");
                Token nameTok = peek();
                String name = dottedName();
                if (!TestFunctions.exists(name) && !soft) unknownNames.add(new Token(Type.NAME, "test named '" + name + "'", nameTok.line()));
                List<Expr> args;
                Token n = peek();
                if (n.isOperator("(")) {
                    Args a = parseCallArgs();
                    if (!a.kwNames().isEmpty()) throw error("keyword arguments to tests are not supported");
                    args = a.args();
                } else if ((n.type() == Type.NAME || n.type() == Type.STRING || n.type() == Type.INTEGER || n.type() == Type.FLOAT
                        || n.isOperator("[") || n.isOperator("{"))
                        && !(n.type() == Type.NAME && List.of("else", "or", "and", "if", "is").contains(n.text()))) {
                    args = List.of(parsePostfix(parsePrimary()));
                } else {
                    args = List.of();
                }
                node = new Test(node, name, args, negated, nameTok.line());
            } else if (t.isOperator("(")) {
                node = parseCall(node);
            } else {
                return node;
            }
        }
    }

    private String dottedName() {
        StringBuilder sb = new StringBuilder(expectName());
        while (peek().isOperator(".") && peek(1).type() == Type.NAME) {
            next();
            sb.append('.').append(next().text());
        }
        return sb.toString();
    }
}
