package dev.pagoda.engine.chat.jinja;

import dev.pagoda.engine.chat.jinja.Node.*;
import dev.pagoda.engine.chat.jinja.Token.Type;
import java.util.ArrayList;
import java.util.List;

/**
 * Recursive-descent parser from tokens to {@link Node}s: the statements ({@code if for set macro
 * filter with generation break continue}); expressions come from {@link ExpressionParser}.
 * Unknown filters and tests are rejected after parsing, as jinja2 does at compile time.
 */
final class Parser extends ExpressionParser {
    /** Enclosing for loops in the current function body; {@code break}/{@code continue} need one (macros start afresh). */
    private int loopDepth;
    private Parser(List<Token> toks) {
        super(toks);
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
                    if (loopDepth == 0) throw error("'break' outside loop");
                    next();
                    expect(Type.BLOCK_END);
                    yield new Break(t.line());
                }
                case "continue" -> {
                    if (loopDepth == 0) throw error("'continue' not properly in loop");
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
        loopDepth++;
        List<Stmt> body;
        try {
            body = parseBody("endfor", "else");
        } finally {
            loopDepth--;
        }
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
        int savedLoops = loopDepth;
        loopDepth = 0;
        List<Stmt> body;
        try {
            body = parseBody("endmacro");
        } finally {
            loopDepth = savedLoops;
        }
        next();
        if (peek().type() == Type.NAME) next(); // {% endmacro name %}
        expect(Type.BLOCK_END);
        java.util.Set<String> mentioned = FrameAnalysis.namesLoaded(body);
        return new Macro(name, params, defaults, body, mentioned.contains("varargs") && !params.contains("varargs"),
                mentioned.contains("kwargs") && !params.contains("kwargs"), line);
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
}
