package dev.pagoda.cli;

/**
 * SIGTERM and SIGINT as a callback instead of the JVM's default (run the shutdown hooks, exit 143 or
 * 130), so that {@code ./pagoda serve} can drain its requests and exit 0 like vLLM's server. Uses
 * {@code sun.misc.Signal} (module jdk.unsupported), the JDK's only signal API.
 */
final class StopSignals {
    private StopSignals() {}

    static void install(Runnable onStop) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> onStop.run());
            } catch (IllegalArgumentException unsupported) {
                // Not on this platform (or -Xrs): the shutdown hook still drains, only the exit code differs.
            }
        }
    }
}
