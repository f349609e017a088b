package dev.pagoda.cli;

import java.io.InputStream;
import java.io.PrintStream;

/** {@code ./pagoda generate --prompt TEXT}: prints a completion of the prompt. */
final class GenerateCommand implements Command {
    @Override
    public String summary() {
        return "complete a prompt with a model (default: the bundled stories260K)";
    }

    @Override
    public int run(CliArgs args, InputStream in, PrintStream out, PrintStream err) {
        throw new CliException("generate is being wired up in this change");
    }
}
