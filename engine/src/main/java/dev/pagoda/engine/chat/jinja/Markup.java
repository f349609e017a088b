package dev.pagoda.engine.chat.jinja;

/**
 * A "safe" string ({@code markupsafe.Markup}), made by the {@code safe} and {@code escape} filters.
 * Hugging Face renders with autoescape off, so it prints like any string, but Python's
 * {@code Markup + str} and {@code str + Markup} HTML-escape the plain operand, and templates
 * (e.g. functionary's) rely on that output. Everything else treats it as a plain string.
 */
record Markup(String text) {
    /** {@code left + right} where at least one side is Markup and both are strings. */
    static Markup concat(Object left, Object right) {
        return new Markup(escaped(left) + escaped(right));
    }

    private static String escaped(Object v) {
        return v instanceof Markup m ? m.text : StringFilters.escape((String) v);
    }

    @Override
    public String toString() {
        return text;
    }
}
