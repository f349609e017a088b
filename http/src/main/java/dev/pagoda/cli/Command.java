package dev.pagoda.cli;

import java.io.InputStream;
import java.io.PrintStream;

/**
 * One {@code ./pagoda SUBCOMMAND}: a class annotated with picocli's {@code @Command} whose
 * {@code @Option} fields picocli fills in from the command line before {@link Main} calls {@link #run}.
 * The picocli description's first line is the one {@code ./pagoda help} lists.
 */
public interface Command {
    /** Runs with the parsed options; returns the process exit code. A {@link CliException} is a usage error. */
    int run(InputStream in, PrintStream out, PrintStream err) throws Exception;
}
