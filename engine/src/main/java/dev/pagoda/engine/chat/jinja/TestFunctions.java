package dev.pagoda.engine.chat.jinja;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** jinja2's tests ({@code x is defined}, {@code x is string}, {@code x is equalto y}, ...), with Python's type rules. */
final class TestFunctions {
    private TestFunctions() {}

    private static final Set<String> NAMES = Set.of(
            "defined", "undefined", "none", "boolean", "false", "true", "integer", "float", "number", "string",
            "mapping", "sequence", "iterable", "callable", "sameas", "escaped", "lower", "upper", "odd", "even",
            "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">",
            "ge", ">=", "in", "filter", "test");

    static boolean exists(String name) {
        return NAMES.contains(name);
    }

    static boolean apply(String name, Object v, List<Object> args) {
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "false" -> Boolean.FALSE.equals(v);
            case "true" -> Boolean.TRUE.equals(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "number" -> PyValues.isNumber(v);
            case "string" -> v instanceof String || v instanceof Markup;
            case "mapping" -> v instanceof Map;
            case "sequence" -> v instanceof List || v instanceof String || v instanceof Map || v instanceof Undefined; // Undefined has __len__ and __getitem__
            case "iterable" -> PyValues.isIterable(v);
            case "callable" -> v instanceof JinjaCallable || v instanceof Undefined || v instanceof LoopContext; // Undefined has __call__ (which raises)
            case "escaped" -> v instanceof Markup;
            case "lower" -> {
                String s = PyValues.str(v);
                yield s.codePoints().anyMatch(Character::isLowerCase) && s.codePoints().noneMatch(c -> Character.isUpperCase(c) || Character.isTitleCase(c));
            }
            case "upper" -> {
                String s = PyValues.str(v);
                yield s.codePoints().anyMatch(Character::isUpperCase) && s.codePoints().noneMatch(c -> Character.isLowerCase(c) || Character.isTitleCase(c));
            }
            case "odd" -> PyValues.equal(Operators.binary("%", v, 2L, Integer.MAX_VALUE), 1L);
            case "even" -> PyValues.equal(Operators.binary("%", v, 2L, Integer.MAX_VALUE), 0L);
            case "divisibleby" -> {
                Object n = arg(name, args);
                yield PyValues.equal(Operators.binary("%", v, n, Integer.MAX_VALUE), 0L);
            }
            case "eq", "equalto", "==" -> PyValues.equal(v, arg(name, args));
            case "ne", "!=" -> !PyValues.equal(v, arg(name, args));
            case "lt", "lessthan", "<" -> PyValues.compare(v, arg(name, args)) < 0;
            case "le", "<=" -> PyValues.compare(v, arg(name, args)) <= 0;
            case "gt", "greaterthan", ">" -> PyValues.compare(v, arg(name, args)) > 0;
            case "ge", ">=" -> PyValues.compare(v, arg(name, args)) >= 0;
            case "in" -> PyValues.contains(arg(name, args), v);
            case "sameas" -> {
                Object o = arg(name, args);
                yield v == o || (v instanceof Boolean && v.equals(o)) || (v instanceof Undefined && o instanceof Undefined);
            }
            case "filter" -> v instanceof String s && Filters.exists(s);
            case "test" -> v instanceof String s && exists(s);
            default -> throw new TemplateException("no test named '" + name + "'");
        };
    }

    private static Object arg(String name, List<Object> args) {
        if (args.isEmpty()) throw new TemplateException("TypeError: test '" + name + "' takes one argument");
        return args.get(0);
    }
}
