package dev.pagoda.engine.backend;

/**
 * Settings a backend is created with.
 *
 * @param numThreads CPU worker threads for the forward pass (the CPU backend; 0 = all cores)
 * @param hugePages  whether the CPU backend copies the big weight matrices onto huge pages where the
 *                   OS allows it (faster decode, at the cost of the copy at load: worth it for a
 *                   backend that serves, not for one that checks a few positions)
 */
public record BackendOptions(int numThreads, boolean hugePages) {
    /** {@code numThreads} threads, huge pages on. */
    public BackendOptions(int numThreads) {
        this(numThreads, true);
    }

    public static BackendOptions defaults() {
        return new BackendOptions(0);
    }
}
