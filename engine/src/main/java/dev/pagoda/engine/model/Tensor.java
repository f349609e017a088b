package dev.pagoda.engine.model;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named, typed, row-major view of weight bytes; usually a slice of a memory-mapped
 * safetensors file (nothing is copied to the heap).
 *
 * @param name  the tensor's name in the checkpoint, e.g. {@code model.layers.0.self_attn.q_proj.weight}
 * @param dtype element type of {@code data}
 * @param shape dimensions, outermost first; a linear layer's weight is {@code [outFeatures, inFeatures]}
 * @param data  {@code product(shape) * dtype.byteSize} bytes, little-endian
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {
    public Tensor {
        shape = shape.clone();
        long expected = Math.multiplyExact(numElements(shape), dtype.byteSize);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize() + " bytes for shape "
                    + Arrays.toString(shape) + " of " + dtype + " (expected " + expected + ")");
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    public int rank() {
        return shape.length;
    }

    public long numElements() {
        return numElements(shape);
    }

    /** Product of the dimensions, with overflow checks (a corrupt header must not wrap around). */
    public static long numElements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension " + d);
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
