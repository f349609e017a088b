package dev.pagoda.engine.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * vLLM's {@code --load-format dummy}: every tensor the config needs, allocated off-heap in the
 * config's dtype and filled with deterministic random values ({@link RandomWeights}). Tied models
 * share one matrix for the embedding and lm_head, as loaded ones do.
 */
public final class DummyWeights {
    private DummyWeights() {}

    /** Allocates and fills the weights of {@code config} in {@code arena}. */
    public static ModelWeights create(ModelConfig config, Arena arena, RandomWeights random) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (CheckpointLayout.TensorSpec spec : CheckpointLayout.tensors(config)) {
            long bytes = Math.multiplyExact(spec.numElements(), config.dtype().byteSize);
            MemorySegment data = arena.allocate(bytes, 64); // cache-line aligned for vector loads
            random.fill(spec, config.dtype(), data);
            tensors.put(spec.name(), new Tensor(spec.name(), config.dtype(), spec.shape(), data));
        }
        return WeightLoader.fromTensors(config, tensors, name -> "dummy weights");
    }
}
