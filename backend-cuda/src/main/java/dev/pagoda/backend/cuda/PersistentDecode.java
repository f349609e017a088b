package dev.pagoda.backend.cuda;

import dev.pagoda.engine.model.ModelConfig;
import java.util.Locale;

/**
 * When a decode step of one sequence runs every decoder layer in one persistent kernel
 * (DecodeLayers.cu) instead of the fused path's five kernels a layer.
 *
 * <p>{@link #AUTO} (the default) picks by the size of a layer's weights, from measurements on an
 * H100 (docs/benchmarks-cuda.md, "A persistent decode kernel"): the kernel's grid barriers cost a
 * fixed ~3–5 µs a stage, a kernel boundary with programmatic dependent launch about as much, so the
 * persistent kernel is slower for Qwen2.5-0.5B, 1.5B and 3B shapes (30–154 MB a layer: +3 to +13 %)
 * and faster for the Llama-3-8B shape (436 MB a layer: −4 %), where the five kernels' tails cost more.
 * {@code -Dpagoda.cuda.persistentDecode=auto|on|off} sets it at start; {@link CudaBackend#setPersistentDecode} later.
 */
public enum PersistentDecode {
    /** Where a decoder layer's weights take at least {@link #AUTO_MIN_LAYER_BYTES}. */
    AUTO,
    /** Wherever the model fits the kernel ({@code DecodeLayers.supports}). */
    ON,
    /** Never: always the five-kernel fused path. */
    OFF;

    /** AUTO's threshold: between the largest shape measured slower (154 MB a layer) and the smallest measured faster (436 MB). */
    public static final long AUTO_MIN_LAYER_BYTES = 256L << 20;

    /** The mode {@code -Dpagoda.cuda.persistentDecode} names (auto when unset; true / false as on / off). */
    static PersistentDecode fromSystemProperty() {
        String value = System.getProperty("pagoda.cuda.persistentDecode", "auto").toLowerCase(Locale.ROOT);
        return switch (value) {
            case "auto" -> AUTO;
            case "on", "true" -> ON;
            case "off", "false" -> OFF;
            default -> throw new IllegalArgumentException("-Dpagoda.cuda.persistentDecode=" + value + ": expected auto, on or off");
        };
    }

    /** Whether this mode runs {@code config}'s one-sequence decode steps as one kernel (given that the kernel fits the model). */
    boolean uses(ModelConfig config) {
        return this == ON || this == AUTO && layerWeightBytes(config) >= AUTO_MIN_LAYER_BYTES;
    }

    /** bf16 bytes of one decoder layer's linear weights: q, k, v, o, gate, up and down projections. */
    static long layerWeightBytes(ModelConfig c) {
        long hidden = c.hiddenSize();
        return 2L * (hidden * (c.qSize() + 2L * c.kvSize()) + (long) c.qSize() * hidden + 3L * hidden * c.intermediateSize());
    }
}
