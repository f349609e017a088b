package dev.pagoda.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The model used when no {@code --model} is given: stories260K, bundled under {@code models/}. */
final class DefaultModel {
    private DefaultModel() {}

    static Path path() {
        String home = System.getProperty("pagoda.home");
        Path base = home != null ? Path.of(home) : Path.of("").toAbsolutePath();
        Path p = base.resolve("models/stories260k");
        if (!Files.isDirectory(p)) throw new CliException("the default model is missing at " + p + "; pass --model DIR");
        return p;
    }
}
