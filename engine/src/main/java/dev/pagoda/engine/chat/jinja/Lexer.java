package dev.pagoda.engine.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits template source into tokens the way jinja2's lexer does with Hugging Face's settings
 * ({@code trim_blocks=True, lstrip_blocks=True}, {@code keep_trailing_newline=False}):
 *
 * <ul>
 *   <li>newlines are normalized to {@code \n} and one trailing newline of the source is dropped;
 *   <li>{@code {%- / {{- / {#-} strip all whitespace before the tag, {@code -%} / -}} / -#}} all after;
 *   <li>trim_blocks: one newline right after {@code %}} or {@code #}} is dropped ({@code +%}} keeps it);
 *   <li>lstrip_blocks: spaces before {@code {%} or {@code {#} on an otherwise blank line are dropped
 *       ({@code {%+} keeps them); never before {@code {{}.
 * </ul>
 */
final class Lexer {
    private static final Pattern FLOAT = Pattern.compile(
            "(?<!\\.)(\\d+_)*\\d+((\\.(\\d+_)*\\d+)?[eE][+\\-]?(\\d+_)*\\d+|\\.(\\d+_)*\\d+)");
    private static final Pattern INTEGER = Pattern.compile(
            "(0[bB](_?[0-1])+|0[oO](_?[0-7])+|0[xX](_?[\\da-fA-F])+|[1-9](_?\\d)*|0(_?0)*)");
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern RAW_BEGIN = Pattern.compile("\\{%([-+]?)\\s*raw\\s*(-?)%}");
    private static final Pattern RAW_END = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}");
    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", ">=", "<=",
        "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"
    };

    private final String src;
    private final List<Token> out = new ArrayList<>();
    private int pos;
    private int line = 1;
    /** jinja2's {@code line_starting}: the previous match ended with a newline (or nothing came before). */
    private boolean lineStarting = true;

    /** One reusable matcher per token pattern (allocating a Matcher per token made lexing the slow part of parsing). */
    private final Matcher floatMatcher;
    private final Matcher integerMatcher;
    private final Matcher nameMatcher;

    private Lexer(String src) {
        this.src = src;
        this.floatMatcher = bounds(FLOAT.matcher(src));
        this.integerMatcher = bounds(INTEGER.matcher(src));
        this.nameMatcher = bounds(NAME.matcher(src));
    }

    private static Matcher bounds(Matcher m) {
        m.useTransparentBounds(true); // FLOAT's look-behind must see the char before the region
        m.useAnchoringBounds(false);
        return m;
    }

    /** {@code m} positioned at {@code pos}, to the end of the source. */
    private Matcher at(Matcher m, int pos) {
        m.region(pos, src.length());
        return m;
    }

    static List<Token> tokenize(String source) {
        Lexer lx = new Lexer(normalizeNewlines(source));
        lx.run();
        return lx.out;
    }

    /** {@code \r\n} and {@code \r} become {@code \n}; one trailing newline is dropped. */
    static String normalizeNewlines(String s) {
        String t = s.indexOf('\r') >= 0 ? s.replace("\r\n", "\n").replace('\r', '\n') : s;
        return t.endsWith("\n") ? t.substring(0, t.length() - 1) : t;
    }

    private void run() {
        int n = src.length();
        while (pos < n) {
            int i = findTagStart(pos);
            if (i < 0) {
                emitData(src.substring(pos), line);
                advanceLines(pos, n);
                pos = n;
                break;
            }
            char kind = src.charAt(i + 1);
            char sign = i + 2 < n ? src.charAt(i + 2) : 0;
            if (sign != '-' && sign != '+') sign = 0;
            Matcher raw = kind == '%' ? region(RAW_BEGIN, i) : null;
            String text = stripBeforeTag(src.substring(pos, i), sign, kind != '{');
            emitData(text, line);
            advanceLines(pos, i);
            if (kind == '#') {
                lexComment(i + 2 + (sign != 0 ? 1 : 0));
            } else if (raw != null && raw.lookingAt()) {
                lexRaw(raw.end(), raw.group(2).equals("-"));
            } else {
                lexTag(i, kind == '%', sign != 0);
            }
        }
        out.add(new Token(Token.Type.EOF, "", line));
    }

    private Matcher region(Pattern p, int from) {
        return at(bounds(p.matcher(src)), from);
    }

    private int findTagStart(int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    /** Whitespace control for the text before a tag: {@code -} strips all, lstrip_blocks strips a blank line prefix. */
    private String stripBeforeTag(String text, char sign, boolean lstripApplies) {
        if (sign == '-') return PyStrings.rstrip(text, null);
        if (sign == '+' || !lstripApplies) return text;
        int lpos = text.lastIndexOf('\n') + 1;
        if ((lpos > 0 || lineStarting) && lpos < text.length() && allSpace(text, lpos)) return text.substring(0, lpos);
        return text;
    }

    private static boolean allSpace(String s, int from) {
        for (int i = from; i < s.length(); i++) if (!PyStrings.isSpace(s.charAt(i))) return false;
        return true;
    }

    private void emitData(String text, int atLine) {
        if (!text.isEmpty()) out.add(new Token(Token.Type.DATA, text, atLine));
    }

    private void advanceLines(int from, int to) {
        for (int i = from; i < to; i++) if (src.charAt(i) == '\n') line++;
    }

    /** After {@code %}} or {@code #}}: trim_blocks drops one newline; after {@code -%}} all whitespace goes. */
    private int afterClose(int closeEnd, char sign, boolean trimBlocks) {
        int p = closeEnd;
        if (sign == '-') {
            while (p < src.length() && PyStrings.isSpace(src.charAt(p))) p++;
        } else if (sign != '+' && trimBlocks && p < src.length() && src.charAt(p) == '\n') {
            p++;
        }
        lineStarting = p > 0 && src.charAt(p - 1) == '\n';
        advanceLines(pos, p);
        pos = p;
        return p;
    }

    private void lexComment(int from) {
        int j = src.indexOf("#}", from);
        if (j < 0) throw new TemplateException("missing end of comment tag", line);
        char sign = j - 1 >= from ? src.charAt(j - 1) : 0;
        advanceLines(pos, j);
        pos = j;
        afterClose(j + 2, sign, true);
    }

    private void lexRaw(int bodyStart, boolean stripAfterBegin) {
        int b = bodyStart;
        if (stripAfterBegin) while (b < src.length() && PyStrings.isSpace(src.charAt(b))) b++;
        int bodyLine = line + countNewlines(pos, b);
        Matcher end = region(RAW_END, b);
        if (!end.find()) throw new TemplateException("missing {% endraw %}", line);
        String sign = end.group(1);
        boolean savedLineStarting = lineStarting;
        lineStarting = false;
        String body = stripBeforeTag(src.substring(b, end.start()), sign.isEmpty() ? 0 : sign.charAt(0), true);
        lineStarting = savedLineStarting;
        emitData(body, bodyLine);
        String closeSign = end.group(2);
        int closeEnd = end.end();
        advanceLines(pos, closeEnd);
        pos = closeEnd;
        afterClose(closeEnd, closeSign.isEmpty() ? 0 : closeSign.charAt(0), true);
    }

    private int countNewlines(int from, int to) {
        int c = 0;
        for (int i = from; i < to; i++) if (src.charAt(i) == '\n') c++;
        return c;
    }

    private void lexTag(int start, boolean block, boolean hasSign) {
        out.add(new Token(block ? Token.Type.BLOCK_BEGIN : Token.Type.VARIABLE_BEGIN, block ? "{%" : "{{", line));
        pos = start + 2 + (hasSign ? 1 : 0);
        int balance = 0;
        int n = src.length();
        while (true) {
            while (pos < n && PyStrings.isSpace(src.charAt(pos))) {
                if (src.charAt(pos) == '\n') line++;
                pos++;
            }
            if (pos >= n) throw new TemplateException("unexpected end of template inside a " + (block ? "block" : "variable") + " tag", line);
            if (balance == 0) {
                String close = block ? "%}" : "}}";
                char c = src.charAt(pos);
                if ((c == '-' || (c == '+' && block)) && src.startsWith(close, pos + 1)) {
                    out.add(new Token(block ? Token.Type.BLOCK_END : Token.Type.VARIABLE_END, close, line));
                    afterClose(pos + 3, c, block);
                    return;
                }
                if (src.startsWith(close, pos)) {
                    out.add(new Token(block ? Token.Type.BLOCK_END : Token.Type.VARIABLE_END, close, line));
                    afterClose(pos + 2, (char) 0, block);
                    return;
                }
            }
            char c = src.charAt(pos);
            Matcher m;
            if (Character.isDigit(c) && (m = at(floatMatcher, pos)).lookingAt()) {
                out.add(new Token(Token.Type.FLOAT, m.group().replace("_", ""), line));
                pos = m.end();
            } else if (Character.isDigit(c) && (m = at(integerMatcher, pos)).lookingAt()) {
                out.add(new Token(Token.Type.INTEGER, m.group().replace("_", ""), line));
                pos = m.end();
            } else if ((c == '_' || (c < 128 && Character.isLetter(c))) && (m = at(nameMatcher, pos)).lookingAt()) {
                out.add(new Token(Token.Type.NAME, m.group(), line));
                pos = m.end();
            } else if (c == '\'' || c == '"') {
                lexString(c);
            } else {
                String op = null;
                for (String o : OPERATORS) {
                    if (src.startsWith(o, pos)) {
                        op = o;
                        break;
                    }
                }
                if (op == null) throw new TemplateException("unexpected char '" + c + "'", line);
                if (op.equals("(") || op.equals("[") || op.equals("{")) balance++;
                if (op.equals(")") || op.equals("]") || op.equals("}")) {
                    if (balance == 0) throw new TemplateException("unexpected '" + op + "'", line);
                    balance--;
                }
                out.add(new Token(Token.Type.OPERATOR, op, line));
                pos += op.length();
            }
        }
    }

    private void lexString(char quote) {
        int startLine = line;
        int i = pos + 1;
        StringBuilder raw = new StringBuilder();
        while (true) {
            if (i >= src.length()) throw new TemplateException("unterminated string", startLine);
            char c = src.charAt(i);
            if (c == '\\' && i + 1 < src.length()) {
                raw.append(c).append(src.charAt(i + 1));
                i += 2;
                continue;
            }
            if (c == quote) break;
            raw.append(c);
            i++;
        }
        advanceLines(pos, i);
        pos = i + 1;
        out.add(new Token(Token.Type.STRING, PyStrings.decodeEscapes(raw.toString(), startLine), startLine));
    }
}
