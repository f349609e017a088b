package dev.pagoda.engine.chat.jinja;

import java.util.List;

/**
 * The jinja2 filters that work on one string: {@code wordcount}, {@code indent}, {@code escape},
 * {@code truncate}. {@link Filters} dispatches to them.
 */
final class StringFilters {
    private StringFilters() {}

    /** jinja2's wordcount: the number of {@code \\w+} runs (letters, digits, underscore). */
    static long wordcount(String s) {
        long n = 0;
        boolean inWord = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            boolean w = Character.isLetterOrDigit(cp) || cp == '_';
            if (w && !inWord) n++;
            inWord = w;
        }
        return n;
    }

    /** jinja2's indent appends "\n" and calls splitlines(): only strings survive that. */
    static String indentable(Object v) {
        if (v instanceof String s) return s;
        if (v instanceof List) throw new TemplateException("AttributeError: 'list' object has no attribute 'splitlines'");
        throw new TemplateException("TypeError: unsupported operand type(s) for +=: '" + PyValues.typeName(v) + "' and 'str'");
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&#34;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** jinja2's {@code indent}: indents all lines but the first (unless {@code first}), blank lines too only if {@code blank}. */
    static String indent(String s, Object width, boolean first, boolean blank) {
        String ind = width instanceof String w ? w : " ".repeat((int) Math.max(0, Math.min(PyValues.toLong(width), 1000)));
        s = s + "\n";
        List<Object> lines = PyStrings.splitlines(s, false);
        StringBuilder rv = new StringBuilder();
        if (blank) {
            for (int i = 0; i < lines.size(); i++) {
                if (i > 0) rv.append('\n').append(ind);
                rv.append((String) lines.get(i));
            }
        } else {
            rv.append((String) lines.get(0));
            for (int i = 1; i < lines.size(); i++) {
                String line = (String) lines.get(i);
                rv.append('\n');
                if (!line.isEmpty()) rv.append(ind);
                rv.append(line);
            }
        }
        return first ? ind + rv : rv.toString();
    }

    /** jinja2's truncate works on the value itself: short lists pass through, ints have no len(). */
    static Object truncate(Object v, long length, boolean killwords, String end, Object leeway) {
        long lw = leeway == null ? 5 : PyValues.toLong(leeway);
        long n = PyValues.length(v);
        if (n <= length + lw) return v;
        if (!(v instanceof String s)) throw new TemplateException("TypeError: cannot truncate a " + PyValues.typeName(v));
        int cut = (int) Math.max(0, length - PyStrings.length(end));
        String head = s.substring(0, s.offsetByCodePoints(0, cut));
        if (killwords) return head + end;
        int sp = head.lastIndexOf(' ');
        return (sp >= 0 ? head.substring(0, sp) : head) + end;
    }
}
