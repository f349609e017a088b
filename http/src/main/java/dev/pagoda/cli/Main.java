package dev.pagoda.cli;

import dev.pagoda.server.PagodaServer;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.OverwrittenOptionException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code ./pagoda COMMAND [options]}: the entry point of every command. Picocli parses the command
 * line into the subcommand's {@code @Option} fields; this class prints usage errors as one line
 * (exit code 2), failures as one line (exit code 1, with a stack trace when PAGODA_DEBUG is set).
 */
@CommandLine.Command(name = "./pagoda", mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class, sortOptions = false, usageHelpAutoWidth = true,
        synopsisSubcommandLabel = "COMMAND", commandListHeading = "%nCommands:%n",
        footer = {"", "Run by the ./pagoda script itself:",
                "  test            fetch test fixtures and run the test suite",
                "  build           build the project (skipping tests)",
                "  fetch-fixtures  fetch the tokenizers and corpus the tests use",
                "  package         build a self-contained runtime image (jlink)",
                "  mvn             run the Maven wrapper with JDK 25"})
public final class Main {
    private Main() {}

    /** The top-level command with every subcommand, in the order {@code help} lists them. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        for (Command c : List.of(new GenerateCommand(), new TokenizeCommand(), new DetokenizeCommand(),
                new RenderChatCommand(), new ServeCommand(),
                new ChatCommand(), new ExplainMemoryCommand(), new ConformanceCommand(),
                new ReplayCommand(), new dev.pagoda.bench.BenchCommand())) {
            CommandLine sub = new CommandLine(c);
            sub.getCommandSpec().mixinStandardHelpOptions(true); // --help and --version on every command
            sub.getCommandSpec().versionProvider(new Version());
            sub.getCommandSpec().usageMessage().sortOptions(false); // as declared: the important ones first
            cli.addSubcommand(sub);
        }
        cli.addSubcommand("help", new HelpCommand());
        return cli;
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
        CommandLine cli = commandLine();
        PrintWriter outWriter = new PrintWriter(out, true, StandardCharsets.UTF_8);
        cli.setOut(outWriter);
        cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        if (argv.length == 0) {
            cli.usage(outWriter);
            return 2;
        }
        if (!argv[0].startsWith("-") && !cli.getSubcommands().containsKey(argv[0])) {
            err.println("pagoda: unknown command '" + argv[0] + "' (see ./pagoda help)");
            return 2;
        }
        String who = argv[0].startsWith("-") ? "pagoda" : "pagoda " + argv[0];
        ParseResult parsed;
        try {
            parsed = cli.parseArgs(argv);
        } catch (ParameterException e) {
            err.println(who + ": " + usageError(e, argv));
            return 2;
        }
        if (CommandLine.printHelpIfRequested(parsed)) {
            outWriter.flush();
            return 0;
        }
        if (!parsed.hasSubcommand()) { // options only, none of them --help or --version
            cli.usage(outWriter);
            return 2;
        }
        Command command = parsed.subcommand().commandSpec().commandLine().getCommand();
        try {
            return command.run(in, out, err);
        } catch (CliException e) {
            err.println(who + ": " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println(who + ": " + e.getMessage());
            if (System.getenv("PAGODA_DEBUG") != null) e.printStackTrace(err);
            return 1;
        }
    }

    /** Picocli's message for a bad command line, in the CLI's own words where picocli's are longer. */
    private static String usageError(ParameterException e, String[] argv) {
        if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().getFirst();
            if (!arg.startsWith("-")) return "unexpected argument '" + arg + "'";
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            List<String> close = u.getSuggestions();
            return "unknown option " + name + (close.isEmpty() ? "" : " (did you mean " + close.getFirst() + "?)");
        }
        if (e instanceof OverwrittenOptionException o && o.getOverwritten() instanceof OptionSpec option) {
            // A negatable flag is one option to picocli: --x --no-x reads as "given twice".
            if (option.negatable()) {
                String on = option.longestName(), off = "--no-" + on.substring(2);
                List<String> args = Arrays.asList(argv);
                if (args.contains(on) && args.contains(off)) return on + " and " + off + " contradict each other";
            }
            return "option " + option.longestName() + " given twice";
        }
        return e.getMessage();
    }

    /** {@code --version}: the version GET /version reports. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"pagoda " + PagodaServer.VERSION};
        }
    }
}
