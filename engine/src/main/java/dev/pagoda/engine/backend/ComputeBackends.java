package dev.pagoda.engine.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Finds a {@link ComputeBackend} by name among the providers on the class path. */
public final class ComputeBackends {
    private ComputeBackends() {}

    public static ComputeBackend create(String name, BackendOptions options) {
        List<String> known = new ArrayList<>();
        for (ComputeBackendProvider p : ServiceLoader.load(ComputeBackendProvider.class)) {
            if (p.name().equals(name)) return p.create(options);
            known.add(p.name());
        }
        throw new IllegalArgumentException("unknown backend '" + name + "' (available: " + String.join(", ", known) + ")");
    }
}
