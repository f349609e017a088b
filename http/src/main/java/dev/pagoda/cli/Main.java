package dev.pagoda.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
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
        c.put("render-chat", new RenderChatCommand());
        c.put("serve", new ServeCommand());
        return c;
    }

    public static void main(String[] argv) {
        // One line per log record, vLLM-style: "INFO 11-22 11:56:22 [logger] message".
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s %1$tm-%1$td %1$tT [%3$s] %5$s%6$s%n");
        }
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        int status = run(argv, System.in, out, System.err);
        out.flush();
        System.exit(status);
    }

    /** Runs one command with the given streams; returns the exit code (0 ok, 1 failure, 2 usage error). */
    static int run(String[] argv, InputStream in, PrintStream out, PrintStream err) {
        Map<String, Command> commands = commands();
        if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help")) {
            out.println("usage: ./pagoda COMMAND [options]\n");
            commands.forEach((name, cmd) -> out.printf("  %-14s %s%n", name, cmd.summary()));
            out.printf("  %-14s %s%n", "test", "fetch test fixtures and run the test suite");
            out.printf("  %-14s %s%n", "build", "build the project (skipping tests)");
            return argv.length == 0 ? 2 : 0;
        }
        Command cmd = commands.get(argv[0]);
        if (cmd == null) {
            err.println("pagoda: unknown command '" + argv[0] + "' (see ./pagoda help)");
            return 2;
        }
        try {
            List<String> rest = new ArrayList<>(Arrays.asList(argv).subList(1, argv.length));
            // vLLM's `serve MODEL`: a leading positional argument is the model.
            if (argv[0].equals("serve") && !rest.isEmpty() && !rest.getFirst().startsWith("--")) rest.addFirst("--model");
            CliArgs args = CliArgs.parse(rest);
            return cmd.run(args, in, out, err);
        } catch (CliException e) {
            err.println("pagoda " + argv[0] + ": " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("pagoda " + argv[0] + ": " + e.getMessage());
            if (System.getenv("PAGODA_DEBUG") != null) e.printStackTrace(err);
            return 1;
        }
    }
}
