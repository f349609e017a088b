package dev.pagoda.cli;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} and {@code --flag} options of a subcommand ({@code --name=value} works too).
 * Every option must be read by the command; {@link #checkAllUsed()} reports the rest as unknown,
 * so that a typo is an error rather than a silently ignored setting.
 */
public final class CliArgs {
    private final Map<String, String> options = new LinkedHashMap<>();
    private final Set<String> used = new HashSet<>();

    private CliArgs() {}

    /** Parses {@code args}; an option followed by another option (or nothing) is a flag with value "true". */
    public static CliArgs parse(List<String> args) {
        CliArgs a = new CliArgs();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) throw new CliException("unexpected argument '" + arg + "' (options look like --name value)");
            String name = arg.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                value = args.get(++i);
            } else {
                value = "true";
            }
            if (a.options.put(name, value) != null) throw new CliException("option --" + name + " given twice");
        }
        return a;
    }

    public String string(String name, String defaultValue) {
        used.add(name);
        return options.getOrDefault(name, defaultValue);
    }

    public String required(String name) {
        used.add(name);
        String v = options.get(name);
        if (v == null) throw new CliException("missing required option --" + name);
        return v;
    }

    public int integer(String name, int defaultValue) {
        String v = string(name, null);
        if (v == null) return defaultValue;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new CliException("--" + name + " must be an integer, got '" + v + "'");
        }
    }

    public double decimal(String name, double defaultValue) {
        String v = string(name, null);
        if (v == null) return defaultValue;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new CliException("--" + name + " must be a number, got '" + v + "'");
        }
    }

    public boolean flag(String name) {
        String v = string(name, "false");
        if (!v.equals("true") && !v.equals("false")) throw new CliException("--" + name + " takes no value, got '" + v + "'");
        return v.equals("true");
    }

    /** Fails on options no one asked for. Call after reading all options. */
    public void checkAllUsed() {
        for (String name : options.keySet()) {
            if (!used.contains(name)) throw new CliException("unknown option --" + name);
        }
    }
}
