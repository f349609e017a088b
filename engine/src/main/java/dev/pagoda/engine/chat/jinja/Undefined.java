package dev.pagoda.engine.chat.jinja;

/**
 * jinja2's default {@code Undefined}: what a missing variable, key, attribute or index evaluates to.
 * It prints as empty, is falsy, iterates as empty and has length 0, but any attribute access,
 * arithmetic or call on it is an error naming what was missing.
 */
final class Undefined {
    /** Describes what is missing, e.g. {@code 'foo' is undefined} or {@code 'dict object' has no attribute 'x'}. */
    final String hint;

    Undefined(String hint) {
        this.hint = hint;
    }

    static Undefined named(String name) {
        return new Undefined("'" + name + "' is undefined");
    }

    static Undefined attribute(Object obj, Object name) {
        return new Undefined("'" + PyValues.typeName(obj) + " object' has no attribute " + PyValues.repr(name));
    }

    TemplateException error() {
        return new TemplateException("UndefinedError: " + hint);
    }

    @Override
    public String toString() {
        return "";
    }
}
