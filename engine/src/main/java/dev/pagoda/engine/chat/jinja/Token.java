package dev.pagoda.engine.chat.jinja;

/**
 * One lexical token. {@code text} is the literal text for data, the decoded value for strings,
 * the digits for numbers, the spelling for names and operators.
 */
record Token(Type type, String text, int line) {
    enum Type { DATA, VARIABLE_BEGIN, VARIABLE_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INTEGER, FLOAT, OPERATOR, EOF }

    boolean is(Type t, String s) {
        return type == t && text.equals(s);
    }

    boolean isOperator(String s) {
        return is(Type.OPERATOR, s);
    }

    boolean isName(String s) {
        return is(Type.NAME, s);
    }

    String describe() {
        return switch (type) {
            case EOF -> "end of template";
            case STRING -> "string";
            case DATA -> "template data";
            case BLOCK_END -> "'%}'";
            case VARIABLE_END -> "'}}'";
            default -> "'" + text + "'";
        };
    }
}
