package dev.pagoda.cli;

import java.io.InputStream;
import java.io.PrintStream;

/** One {@code ./pagoda SUBCOMMAND}: parses its own arguments, returns the process exit code. */
public interface Command {
    /** One line for {@code ./pagoda help}. */
    String summary();

    int run(CliArgs args, InputStream in, PrintStream out, PrintStream err) throws Exception;
}
