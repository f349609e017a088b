package dev.pagoda.engine.chat.jinja;

import dev.pagoda.engine.chat.jinja.Token.Type;
import java.util.List;

/**
 * The parser's position in the token list and its token-level helpers (peek, accept, expect), plus
 * the nesting guard. {@link PrimaryParser}, {@link ExpressionParser} and {@link Parser} build on it.
 */
abstract class TokenCursor {
    /** Deeper syntax than this is rejected instead of overflowing the Java stack. */
    static final int MAX_NESTING = 200;

    final List<Token> toks;
    int p;
    int depth;

    TokenCursor(List<Token> toks) {
        this.toks = toks;
    }

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
}
