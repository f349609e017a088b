package dev.pagoda.cli;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code ./pagoda COMMAND [options]}: the entry point of every command. */
public final class Main {
    private Main() {}

    /** Every subcommand, in the order {@code help} lists them. */
    static Map<String, Command> commands() {
        Map<String, Command> c = new LinkedHashMap<>();
        c.put("generate", new GenerateCommand());
        c.put("tokenize", new TokenizeCommand());
        c.put("detokenize", new DetokenizeCommand());
        return c;
    }

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        Map<String, Command> commands = commands();
        if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help")) {
            System.out.println("usage: ./pagoda COMMAND [options]\n");
            commands.forEach((name, cmd) -> System.out.printf("  %-14s %s%n", name, cmd.summary()));
            System.out.printf("  %-14s %s%n", "test", "fetch test fixtures and run the test suite");
            System.out.printf("  %-14s %s%n", "build", "build the project (skipping tests)");
            return argv.length == 0 ? 2 : 0;
        }
        Command cmd = commands.get(argv[0]);
        if (cmd == null) {
            System.err.println("pagoda: unknown command '" + argv[0] + "' (see ./pagoda help)");
            return 2;
        }
        try {
            CliArgs args = CliArgs.parse(Arrays.asList(argv).subList(1, argv.length));
            return cmd.run(args, System.in, System.out, System.err);
        } catch (CliException e) {
            System.err.println("pagoda " + argv[0] + ": " + e.getMessage());
            return 2;
        } catch (Exception e) {
            System.err.println("pagoda " + argv[0] + ": " + e.getMessage());
            if (System.getenv("PAGODA_DEBUG") != null) e.printStackTrace();
            return 1;
        }
    }
}
