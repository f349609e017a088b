package dev.pagoda.engine.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * vLLM's {@code --load-format dummy}: every tensor the config needs, allocated off-heap in the
 * config's dtype and filled with deterministic random values ({@link RandomWeights}). Tied models
 * share one matrix for the embedding and lm_head, as loaded ones do.
 */
public final class DummyWeights {
    private DummyWeights() {}

    /**
     * Allocates and fills the weights of {@code config} in {@code arena}. Weights that could not fit
     * in this machine's physical memory are refused before anything is allocated: a config.json
     * with absurd (but individually bounded) sizes must be an error, not an out-of-memory kill.
     */
    public static ModelWeights create(ModelConfig config, Arena arena, RandomWeights random) {
        long needed = totalBytes(config);
        long physical = physicalMemoryBytes();
        if (needed > physical) {
            throw new ModelLoadException("dummy weights: config.json describes " + needed + " bytes of " + config.dtype()
                    + " weights, more than this machine's " + physical + " bytes of memory");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (CheckpointLayout.TensorSpec spec : CheckpointLayout.tensors(config)) {
            long bytes = Math.multiplyExact(spec.numElements(), config.dtype().byteSize);
            MemorySegment data = arena.allocate(bytes, 64); // cache-line aligned for vector loads
            random.fill(spec, config.dtype(), data);
            tensors.put(spec.name(), new Tensor(spec.name(), config.dtype(), spec.shape(), data));
        }
        return WeightLoader.fromTensors(config, tensors, name -> "dummy weights");
    }

    /** Bytes of every tensor {@code config} needs; saturates at {@link Long#MAX_VALUE}. */
    static long totalBytes(ModelConfig config) {
        long total = 0;
        try {
            for (CheckpointLayout.TensorSpec spec : CheckpointLayout.tensors(config)) {
                total = Math.addExact(total, Math.multiplyExact(spec.numElements(), config.dtype().byteSize));
            }
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
        return total;
    }

    private static long physicalMemoryBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory(); // no OS figure: the heap bound is a conservative stand-in
    }
}
