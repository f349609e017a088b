package dev.pagoda.engine.chat.jinja;

import dev.pagoda.engine.chat.jinja.Node.*;
import dev.pagoda.engine.chat.jinja.Token.Type;
import java.util.ArrayList;
import java.util.List;

/**
 * The expression half of the parser, following jinja2's grammar and operator precedence (lowest
 * first): inline if, or, and, not, comparisons/in, + -, ~, * / // %, **, unary minus, then postfix
 * ({@code .attr [key] (call)}) and filters/tests ({@code |f}, {@code is t}). {@link Parser} adds statements;
 * primaries and postfix chains come from {@link PrimaryParser}, token handling from {@link TokenCursor}.
 */
abstract class ExpressionParser extends PrimaryParser {
    /**
     * jinja2 reports an unknown filter or test at compile time, except directly inside an
     * {@code if} block or an inline if ("soft" frames), where it fails only when evaluated.
     */
    boolean soft;
    final List<Token> unknownNames = new ArrayList<>();

    ExpressionParser(List<Token> toks) {
        super(toks);
    }

    // ---- expressions ----

    @Override
    Expr parseExpression(boolean withCondExpr) {
        return withCondExpr ? parseCondExpr() : parseOr();
    }

    /** A comma-separated list becomes a tuple; a single expression stays itself. */
    @Override
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
