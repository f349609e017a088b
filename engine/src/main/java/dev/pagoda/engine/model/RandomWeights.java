package dev.pagoda.engine.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.stream.LongStream;

/**
 * Deterministic random weights, for vLLM-style dummy loading and for the random-weight test models.
 *
 * <p>Element {@code i} of a tensor is a pure function of {@code (seed, tensor name, i)} (a
 * counter-based SplitMix64 hash), so the values do not depend on the order tensors are written in,
 * on threads, or on the dtype chosen (each dtype stores the same fp32 value, rounded to nearest even).
 * Linear, embedding and bias weights are uniform in {@code [-scale, scale)}; RMSNorm weights are
 * {@code 1 + uniform[-scale, scale)} so that activations keep their size. (vLLM's dummy loader draws
 * everything, norms included, from {@code uniform(-1e-3, 1e-3)}; norms near 1 keep our random models'
 * logits from collapsing, which matters for conformance tests.)
 *
 * @param seed  base seed (vLLM uses 1234)
 * @param scale half-width of the uniform distribution (transformers initialises with std 0.02)
 */
public record RandomWeights(long seed, double scale) {

    public static final RandomWeights DEFAULT = new RandomWeights(1234, 0.02);

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Elements per parallel chunk. */
    private static final int CHUNK = 1 << 16;

    /** Element {@code index} of tensor {@code name} with {@code role}, as fp32. */
    public float value(long tensorSeed, CheckpointLayout.Role role, long index) {
        long bits = splitMix64(tensorSeed + index * 0x9E3779B97F4A7C15L);
        double u = (bits >>> 11) * 0x1.0p-53; // uniform [0, 1)
        float x = (float) ((2 * u - 1) * scale);
        return role == CheckpointLayout.Role.NORM ? 1 + x : x;
    }

    /** The per-tensor seed: the base seed mixed with the name, so that every tensor differs. */
    public long tensorSeed(String name) {
        long h = seed;
        for (int i = 0; i < name.length(); i++) h = splitMix64(h ^ name.charAt(i));
        return h;
    }

    /** Fills {@code out} ({@code numElements * dtype.byteSize} bytes) with the values of {@code spec}. */
    public void fill(CheckpointLayout.TensorSpec spec, DType dtype, MemorySegment out) {
        long n = spec.numElements();
        if (out.byteSize() != n * dtype.byteSize) {
            throw new IllegalArgumentException(spec.name() + ": " + out.byteSize() + " bytes for " + n + " elements of " + dtype);
        }
        long tensorSeed = tensorSeed(spec.name());
        CheckpointLayout.Role role = spec.role();
        // Each chunk is computed into a small heap buffer and copied out in bulk: per-element
        // accesses to a mapped segment are several times slower.
        LongStream.range(0, (n + CHUNK - 1) / CHUNK).parallel().forEach(chunk -> {
            long start = chunk * CHUNK;
            int len = (int) Math.min(CHUNK, n - start);
            switch (dtype) {
                case F32 -> {
                    float[] buf = new float[len];
                    for (int i = 0; i < len; i++) buf[i] = value(tensorSeed, role, start + i);
                    MemorySegment.copy(buf, 0, out, F32, start * 4, len);
                }
                case BF16, F16 -> {
                    short[] buf = new short[len];
                    for (int i = 0; i < len; i++) {
                        float v = value(tensorSeed, role, start + i);
                        buf[i] = dtype == DType.BF16 ? toBf16(v) : Float.floatToFloat16(v);
                    }
                    MemorySegment.copy(buf, 0, out, U16, start * 2, len);
                }
            }
        });
    }

    /** fp32 → bf16 with round-to-nearest-even (finite inputs), as PyTorch's {@code .to(torch.bfloat16)}. */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        bits += 0x7FFF + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }

    private static long splitMix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
