package dev.pagoda.engine.chat.jinja;

import dev.pagoda.engine.chat.jinja.Node.*;
import dev.pagoda.engine.chat.jinja.Token.Type;
import java.util.ArrayList;
import java.util.List;

/**
 * The tightest-binding half of the expression grammar: primaries (names, literals, parenthesized
 * tuples, list and dict displays) and their postfix chains ({@code .attr [key] [a:b:c] (call)}).
 * Nested expressions inside them go back up through {@link ExpressionParser}'s precedence levels.
 */
abstract class PrimaryParser extends TokenCursor {
    PrimaryParser(List<Token> toks) {
        super(toks);
    }

    abstract Expr parseExpression(boolean withCondExpr);

    abstract Expr parseTuple(boolean simplified, boolean withCondExpr, List<String> extraEnd, boolean explicitParens);

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
}
