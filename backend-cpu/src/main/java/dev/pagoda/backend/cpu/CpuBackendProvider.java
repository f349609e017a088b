package dev.pagoda.backend.cpu;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackendProvider;

/** Registers the CPU backend under the name {@code cpu} (see META-INF/services). */
public final class CpuBackendProvider implements ComputeBackendProvider {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public ComputeBackend create(BackendOptions options) {
        return new CpuBackend(options);
    }
}
