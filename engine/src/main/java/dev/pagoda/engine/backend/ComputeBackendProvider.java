package dev.pagoda.engine.backend;

/** A {@link java.util.ServiceLoader} entry that creates one kind of {@link ComputeBackend}. */
public interface ComputeBackendProvider {
    /** The backend's name, e.g. {@code cpu} or {@code cuda}. */
    String name();

    ComputeBackend create(BackendOptions options);
}
