package dev.pagoda.cli;

/** A usage error: printed as one line, exit code 2. */
public final class CliException extends RuntimeException {
    public CliException(String message) {
        super(message);
    }
}
