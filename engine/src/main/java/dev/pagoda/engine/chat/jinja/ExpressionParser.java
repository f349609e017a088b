package dev.pagoda.engine.chat.jinja;

import dev.pagoda.engine.chat.jinja.Node.*;
import dev.pagoda.engine.chat.jinja.Token.Type;
import java.util.ArrayList;
import java.util.List;

/**
 * The expression half of the parser, following jinja2's grammar and operator precedence (lowest
 * first): inline if, or, and, not, comparisons/in, + -, ~, * / // %, **, unary minus, then postfix
 * ({@code .attr [key] (call)}) and filters/tests ({@code |f}, {@code is t}). {@link Parser} adds statements.
 */
abstract class ExpressionParser {
    /** Deeper syntax than this is rejected instead of overflowing the Java stack. */
    static final int MAX_NESTING = 200;

    final List<Token> toks;
    int p;
    int depth;
    /**
     * jinja2 reports an unknown filter or test at compile time, except directly inside an
     * {@code if} block or an inline if ("soft" frames), where it fails only when evaluated.
     */
    boolean soft;
    final List<Token> unknownNames = new ArrayList<>();

    ExpressionParser(List<Token> toks) {
        this.toks = toks;
    }

    // ---- token helpers ----

    Token peek() {
        return toks.get(p);
    }

    Token peek(int ahead) {
        return toks.get(Math.min(p + ahead, toks.size() - 1));
    }

    Token next() {
        Token t = toks.get(p);
        if (t.type() != Type.EOF) p++;
        return t;
    }

    boolean acceptOp(String op) {
        if (peek().isOperator(op)) {
            p++;
            return true;
        }
        return false;
    }

    boolean acceptName(String name) {
        if (peek().isName(name)) {
            p++;
            return true;
        }
        return false;
    }

    void expectOp(String op) {
        if (!acceptOp(op)) throw error("expected '" + op + "', got " + peek().describe());
    }

    String expectName() {
        Token t = next();
        if (t.type() != Type.NAME) throw new TemplateException("expected a name, got " + t.describe(), t.line());
        return t.text();
    }

    void expect(Type type) {
        Token t = next();
        if (t.type() != type) throw new TemplateException("expected " + (type == Type.BLOCK_END ? "'%}'" : "'}}'") + ", got " + t.describe(), t.line());
    }

    TemplateException error(String message) {
        return new TemplateException(message, peek().line());
    }

    void enter() {
        if (++depth > MAX_NESTING) throw error("template nesting deeper than " + MAX_NESTING);
    }

    // ---- expressions ----

    Expr parseExpression(boolean withCondExpr) {
        return withCondExpr ? parseCondExpr() : parseOr();
    }

    /** A comma-separated list becomes a tuple; a single expression stays itself. */
    Expr parseTuple(boolean simplified, boolean withCondExpr, List<String> extraEnd, boolean explicitParens) {
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

    boolean isTupleEnd(List<String> extraEnd) {
        Token t = peek();
        return t.type() == Type.VARIABLE_END || t.type() == Type.BLOCK_END || t.isOperator(")")
                || (t.type() == Type.NAME && extraEnd.contains(t.text()));
    }

    Expr parseCondExpr() {
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

    Expr parseOr() {
        Expr left = parseAnd();
        while (peek().isName("or")) {
            int line = next().line();
            left = new Logical(false, left, parseAnd(), line);
        }
        return left;
    }

    Expr parseAnd() {
        Expr left = parseNot();
        while (peek().isName("and")) {
            int line = next().line();
            left = new Logical(true, left, parseNot(), line);
        }
        return left;
    }

    Expr parseNot() {
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

    Expr parseCompare() {
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

    Expr parseMath1() {
        Expr left = parseConcat();
        while (peek().isOperator("+") || peek().isOperator("-")) {
            Token op = next();
            left = new Binary(op.text(), left, parseConcat(), op.line());
        }
        return left;
    }

    Expr parseConcat() {
        Expr left = parseMath2();
        while (peek().isOperator("~")) {
            Token op = next();
            left = new Binary("~", left, parseMath2(), op.line());
        }
        return left;
    }

    Expr parseMath2() {
        Expr left = parsePow();
        while (peek().type() == Type.OPERATOR && List.of("*", "/", "//", "%").contains(peek().text())) {
            Token op = next();
            left = new Binary(op.text(), left, parsePow(), op.line());
        }
        return left;
    }

    Expr parsePow() {
        Expr left = parseUnary(true);
        while (peek().isOperator("**")) {
            Token op = next();
            left = new Binary("**", left, parseUnary(true), op.line());
        }
        return left;
    }

    Expr parseUnary(boolean withFilter) {
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

    Expr parsePrimary() {
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

    static Long parseInteger(Token t) {
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

    Expr parsePostfix(Expr node) {
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

    Expr parseSubscript(Expr obj, int line) {
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

    record Args(List<Expr> args, List<String> kwNames, List<Expr> kwValues) {}

    Args parseCallArgs() {
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

    Expr parseCall(Expr fn) {
        int line = peek().line();
        Args a = parseCallArgs();
        return new Call(fn, a.args(), a.kwNames(), a.kwValues(), line);
    }

    Expr parseFilterChain(Expr node) {
        return parseFilterChain(node, false);
    }

    /** {@code |f(args) is t(args) (call)} after a unary expression; {@code startsWithName} for filter blocks ({@code {% filter f %}}). */
    Expr parseFilterChain(Expr node, boolean startsWithName) {
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

    String dottedName() {
        StringBuilder sb = new StringBuilder(expectName());
        while (peek().isOperator(".") && peek(1).type() == Type.NAME) {
            next();
            sb.append('.').append(next().text());
        }
        return sb.toString();
    }
}
