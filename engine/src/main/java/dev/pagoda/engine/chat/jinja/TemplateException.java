package dev.pagoda.engine.chat.jinja;

/**
 * A template could not be parsed or rendered. Chat templates are data from model files, so every
 * failure (syntax error, type error, {@code raise_exception(...)}, exceeded limit) surfaces as this
 * one exception type, with the template line where it happened (0 when unknown).
 */
public class TemplateException extends RuntimeException {
    private final int line;
    private final String detail;

    public TemplateException(String detail, int line) {
        super(line > 0 ? detail + " (template line " + line + ")" : detail);
        this.detail = detail;
        this.line = line;
    }

    public TemplateException(String detail) {
        this(detail, 0);
    }

    /** The 1-based template line, or 0 when unknown. */
    public int line() {
        return line;
    }

    /** The message without the line suffix. */
    public String detail() {
        return detail;
    }

    /** This error with {@code line} filled in, unless it already names one. */
    TemplateException atLine(int newLine) {
        if (line > 0 || newLine <= 0) return this;
        TemplateException e = copyWithLine(newLine);
        e.setStackTrace(getStackTrace());
        return e;
    }

    TemplateException copyWithLine(int newLine) {
        return new TemplateException(detail, newLine);
    }

    /** Raised by the template itself through {@code raise_exception(message)}. */
    public static final class Raised extends TemplateException {
        public Raised(String message, int line) {
            super(message, line);
        }

        @Override
        TemplateException copyWithLine(int newLine) {
            return new Raised(detail(), newLine);
        }
    }

    /** The template used more output, steps or nesting than {@link RenderLimits} allows. */
    public static final class LimitExceeded extends TemplateException {
        public LimitExceeded(String message, int line) {
            super(message, line);
        }

        @Override
        TemplateException copyWithLine(int newLine) {
            return new LimitExceeded(detail(), newLine);
        }
    }
}
