package dev.pagoda.engine.backend;

/**
 * Settings a backend is created with.
 *
 * @param numThreads CPU worker threads for the forward pass (the CPU backend; 0 = all cores)
 */
public record BackendOptions(int numThreads) {
    public static BackendOptions defaults() {
        return new BackendOptions(0);
    }
}
