package dev.pagoda.engine.chat.jinja;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The Python methods templates may call on strings, dicts and lists ({@code s.strip()},
 * {@code d.get(k)}, {@code d.items()}, ...). As in jinja2's {@code ImmutableSandboxedEnvironment},
 * methods that would mutate a list or dict ({@code append}, {@code pop}, {@code update}, ...) are
 * unsafe: they resolve to an undefined value whose use is a SecurityError.
 */
final class Methods {
    private Methods() {}

    private static final Set<String> STR = Set.of(
            "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "replace",
            "lower", "upper", "title", "capitalize", "swapcase", "casefold", "find", "rfind", "index", "rindex",
            "count", "join", "format", "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper",
            "isnumeric", "isdecimal", "center", "ljust", "rjust", "zfill", "partition", "rpartition",
            "removeprefix", "removesuffix", "expandtabs");
    private static final Set<String> DICT = Set.of("get", "items", "keys", "values", "copy");
    private static final Set<String> DICT_UNSAFE = Set.of("pop", "popitem", "setdefault", "update", "clear");
    private static final Set<String> LIST = Set.of("index", "count", "copy");
    private static final Set<String> LIST_UNSAFE = Set.of("append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear");

    /** The bound method {@code obj.name}, an unsafe-method undefined, or null if {@code obj} has no such method. */
    static Object lookup(Object obj, String name) {
        obj = PyValues.plain(obj);
        if (obj instanceof String s && STR.contains(name)) return (JinjaCallable) (a, kw) -> callStr(s, name, a, kw);
        if (obj instanceof Map<?, ?> m) {
            if (DICT.contains(name)) return (JinjaCallable) (a, kw) -> callDict(m, name, a, kw);
            if (DICT_UNSAFE.contains(name)) return unsafe("dict", name);
        }
        if (obj instanceof List<?> l) {
            if (LIST.contains(name)) return (JinjaCallable) (a, kw) -> callList(l, name, a, kw);
            if (LIST_UNSAFE.contains(name)) return unsafe("list", name);
        }
        return null;
    }

    private static Undefined unsafe(String type, String name) {
        return new Undefined("SecurityError: access to attribute '" + name + "' of '" + type + "' object is unsafe.");
    }

    /** Positional-or-keyword argument {@code index}/{@code name}, or {@code dflt}. */
    static Object arg(List<Object> args, Map<String, Object> kw, int index, String name, Object dflt) {
        if (index < args.size()) return args.get(index);
        if (name != null && kw.containsKey(name)) return kw.get(name);
        return dflt;
    }

    private static String strArg(String method, Object v) {
        v = PyValues.plain(v);
        if (v == null) return null;
        if (v instanceof String s) return s;
        throw new TemplateException("TypeError: " + method + " arg must be None or str, not " + PyValues.typeName(v));
    }

    private static long intArg(Object v, long dflt) {
        if (v == null) return dflt;
        if (!PyValues.isInt(v)) throw new TemplateException("TypeError: '" + PyValues.typeName(v) + "' object cannot be interpreted as an integer");
        return PyValues.toLong(v);
    }

    private static String needStr(String method, Object v) {
        v = PyValues.plain(v);
        if (v instanceof String s) return s;
        throw new TemplateException("TypeError: " + method + "() argument must be str, not " + PyValues.typeName(v));
    }

    private static Object callStr(String s, String name, List<Object> a, Map<String, Object> kw) {
        return switch (name) {
            case "strip" -> PyStrings.strip(s, strArg(name, arg(a, kw, 0, "chars", null)));
            case "lstrip" -> PyStrings.lstrip(s, strArg(name, arg(a, kw, 0, "chars", null)));
            case "rstrip" -> PyStrings.rstrip(s, strArg(name, arg(a, kw, 0, "chars", null)));
            case "split" -> PyStrings.split(s, strArg(name, arg(a, kw, 0, "sep", null)), intArg(arg(a, kw, 1, "maxsplit", null), -1));
            case "rsplit" -> PyStrings.rsplit(s, strArg(name, arg(a, kw, 0, "sep", null)), intArg(arg(a, kw, 1, "maxsplit", null), -1));
            case "splitlines" -> PyStrings.splitlines(s, PyValues.truthy(arg(a, kw, 0, "keepends", false)));
            case "startswith", "endswith" -> affix(s, name.equals("startswith"), arg(a, kw, 0, null, null));
            case "replace" -> replace(s, needStr(name, arg(a, kw, 0, null, null)), needStr(name, arg(a, kw, 1, null, null)),
                    intArg(arg(a, kw, 2, "count", null), -1));
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "casefold" -> s.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT); // full folding: ß -> ss
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "title" -> PyStrings.pyTitle(s);
            case "capitalize" -> PyStrings.capitalize(s);
            case "swapcase" -> swapcase(s);
            case "find" -> PyStrings.find(s, needStr(name, arg(a, kw, 0, null, null)), false);
            case "rfind" -> PyStrings.find(s, needStr(name, arg(a, kw, 0, null, null)), true);
            case "index", "rindex" -> {
                long k = PyStrings.find(s, needStr(name, arg(a, kw, 0, null, null)), name.equals("rindex"));
                if (k < 0) throw new TemplateException("ValueError: substring not found");
                yield k;
            }
            case "count" -> PyStrings.count(s, needStr(name, arg(a, kw, 0, null, null)));
            case "join" -> {
                StringBuilder sb = new StringBuilder();
                List<Object> items = PyValues.iterate(arg(a, kw, 0, null, List.of()));
                for (int i = 0; i < items.size(); i++) {
                    if (i > 0) sb.append(s);
                    if (!(PyValues.plain(items.get(i)) instanceof String item)) {
                        throw new TemplateException("TypeError: sequence item " + i + ": expected str instance, " + PyValues.typeName(items.get(i)) + " found");
                    }
                    sb.append(item);
                }
                yield sb.toString();
            }
            case "format" -> PyFormat.format(s, a, kw);
            case "isdigit", "isnumeric", "isdecimal" -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(c -> PyStrings.isSpace((char) c));
            case "islower" -> s.codePoints().anyMatch(Character::isLowerCase) && s.codePoints().noneMatch(c -> Character.isUpperCase(c) || Character.isTitleCase(c));
            case "isupper" -> s.codePoints().anyMatch(Character::isUpperCase) && s.codePoints().noneMatch(c -> Character.isLowerCase(c) || Character.isTitleCase(c));
            case "center", "ljust", "rjust" -> justify(s, name, intArg(arg(a, kw, 0, null, null), 0), needStr(name, arg(a, kw, 1, null, " ")));
            case "zfill" -> {
                long width = intArg(arg(a, kw, 0, null, null), 0);
                int len = PyStrings.length(s);
                if (width <= len) yield s;
                String fill = "0".repeat((int) Math.min(width - len, 1 << 20));
                yield (s.startsWith("-") || s.startsWith("+")) ? s.charAt(0) + fill + s.substring(1) : fill + s;
            }
            case "partition", "rpartition" -> {
                String sep = needStr(name, arg(a, kw, 0, null, null));
                if (sep.isEmpty()) throw new TemplateException("ValueError: empty separator");
                int k = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (k < 0) yield name.equals("partition") ? new PyTuple(s, "", "") : new PyTuple("", "", s);
                yield new PyTuple(s.substring(0, k), sep, s.substring(k + sep.length()));
            }
            case "removeprefix" -> {
                String p = needStr(name, arg(a, kw, 0, null, null));
                yield s.startsWith(p) ? s.substring(p.length()) : s;
            }
            case "removesuffix" -> {
                String p = needStr(name, arg(a, kw, 0, null, null));
                yield !p.isEmpty() && s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s;
            }
            case "expandtabs" -> {
                long size = intArg(arg(a, kw, 0, "tabsize", null), 8);
                StringBuilder sb = new StringBuilder();
                int col = 0;
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    if (c == '\t') {
                        int n = size > 0 ? (int) (size - col % size) : 0;
                        sb.append(" ".repeat(n));
                        col += n;
                    } else {
                        sb.append(c);
                        col = (c == '\n' || c == '\r') ? 0 : col + 1;
                    }
                }
                yield sb.toString();
            }
            default -> throw new TemplateException("str has no method " + name);
        };
    }

    private static boolean affix(String s, boolean prefix, Object what) {
        if (what instanceof List<?> options) {
            for (Object o : options) if (affix(s, prefix, o)) return true;
            return false;
        }
        String p = needStr(prefix ? "startswith" : "endswith", what);
        return prefix ? s.startsWith(p) : s.endsWith(p);
    }

    static String replace(String s, String old, String repl, long count) {
        if (count < 0 && !old.isEmpty()) return s.replace(old, repl);
        if (count < 0) count = Long.MAX_VALUE; // "" matches between code points, not UTF-16 units
        StringBuilder sb = new StringBuilder();
        int start = 0;
        long done = 0;
        if (old.isEmpty()) {
            int i = 0;
            while (i <= s.length() && done < count) {
                sb.append(repl);
                done++;
                if (i == s.length()) {
                    i++;
                    break;
                }
                int cp = s.codePointAt(i);
                sb.appendCodePoint(cp);
                i += Character.charCount(cp);
            }
            if (i <= s.length()) sb.append(s, i, s.length());
            return sb.toString();
        }
        while (done < count) {
            int k = s.indexOf(old, start);
            if (k < 0) break;
            sb.append(s, start, k).append(repl);
            start = k + old.length();
            done++;
        }
        return sb.append(s.substring(start)).toString();
    }

    private static String swapcase(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (Character.isUpperCase(cp)) sb.append(Character.toString(cp).toLowerCase(Locale.ROOT));
            else if (Character.isLowerCase(cp)) sb.append(Character.toString(cp).toUpperCase(Locale.ROOT));
            else sb.appendCodePoint(cp);
        });
        return sb.toString();
    }

    /** Python's center/ljust/rjust; center puts the extra fill char on the right when the margin is odd and width odd, as CPython does. */
    static String justify(String s, String how, long width, String fill) {
        if (PyStrings.length(fill) != 1) throw new TemplateException("TypeError: The fill character must be exactly one character long");
        int len = PyStrings.length(s);
        if (width <= len) return s;
        int pad = (int) Math.min(width - len, 1 << 20);
        return switch (how) {
            case "ljust" -> s + fill.repeat(pad);
            case "rjust" -> fill.repeat(pad) + s;
            default -> {
                int left = pad / 2 + (pad & (int) width & 1);
                yield fill.repeat(left) + s + fill.repeat(pad - left);
            }
        };
    }

    private static Object callDict(Map<?, ?> m, String name, List<Object> a, Map<String, Object> kw) {
        return switch (name) {
            case "get" -> PyValues.mapGet(m, arg(a, kw, 0, null, null), arg(a, kw, 1, null, null));
            case "items" -> {
                List<Object> out = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) out.add(pair(e.getKey(), e.getValue()));
                yield out;
            }
            case "keys" -> new ArrayList<Object>(m.keySet());
            case "values" -> new ArrayList<Object>(m.values());
            case "copy" -> new LinkedHashMap<Object, Object>(m);
            default -> throw new TemplateException("dict has no method " + name);
        };
    }

    /** A (key, value) tuple; nulls allowed, unlike List.of. */
    static List<Object> pair(Object k, Object v) {
        return new PyTuple(k, v);
    }

    private static Object callList(List<?> l, String name, List<Object> a, Map<String, Object> kw) {
        return switch (name) {
            case "index" -> {
                Object x = arg(a, kw, 0, null, null);
                for (int i = 0; i < l.size(); i++) if (PyValues.equal(l.get(i), x)) yield (long) i;
                throw new TemplateException("ValueError: " + PyValues.repr(x) + " is not in list");
            }
            case "count" -> {
                Object x = arg(a, kw, 0, null, null);
                yield l.stream().filter(y -> PyValues.equal(y, x)).count();
            }
            case "copy" -> new ArrayList<Object>(l);
            default -> throw new TemplateException("list has no method " + name);
        };
    }
}
