package dev.pagoda.backend.cuda;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackendProvider;

/** Registers the CUDA backend under the name {@code cuda} (see META-INF/services). */
public final class CudaBackendProvider implements ComputeBackendProvider {
    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public ComputeBackend create(BackendOptions options) {
        return new CudaBackend(options);
    }
}
