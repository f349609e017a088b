package dev.pagoda.backend.cpu;

import dev.pagoda.engine.model.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of an fp32 activation row with a weight row stored as F32, BF16 or F16: the inner
 * loop of every matmul, and where a decode step spends nearly all of its time.
 *
 * <p>Weights are read in place (a memory-mapped safetensors slice) and widened to fp32 in
 * registers: bf16 is the top half of an fp32, so widening is a 16-bit shift; f16 is rebuilt
 * from its sign, exponent and mantissa bits (exactly, subnormals, infinities and NaNs included).
 *
 * <p><b>One reduction order.</b> Every variant accumulates in the same shape: four vector
 * accumulators over blocks of {@code 4 * L} elements, then whole vectors into the first one, the
 * four summed as {@code (a0 + a1) + (a2 + a3)}, the lanes summed by a fixed halving tree, and
 * the scalar tail fused-multiply-added last. Widening is exact, so a bf16 row widened into an
 * fp32 array first and then dotted with {@link #dot(float[], int, float[], int, int)} gives
 * bit-for-bit the result of {@link #dotBf16}. This is what makes a sequence's logits independent
 * of the batch it is in. (We avoid {@code reduceLanes(ADD)}: its order is unspecified and may
 * differ between interpreted and compiled code.)
 */
final class Dot {
    private Dot() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Ints with as many lanes as {@link #F}: where 16-bit weights are widened. */
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Shorts with as many lanes as {@link #F} (half the bits): one load of bf16/f16 weights. */
    static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(F.vectorBitSize() / 2));
    /** Floats per vector (16 with AVX-512, 8 with AVX2). */
    static final int L = F.length();

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort S16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /** Rotations by L/2, L/4, ..., 1 lanes: the fixed tree that sums a vector's lanes. */
    private static final VectorShuffle<Float>[] HALVINGS = halvings();

    // ---------------------------------------------------------------- the dispatch matmul uses

    /** {@code x[xOff ..< xOff+n] · w[wOff ..< wOff+n]} where {@code w} is a weight row of {@code dtype} at element {@code wOff}. */
    static float dot(float[] x, int xOff, MemorySegment w, long wOff, DType dtype, int n) {
        return switch (dtype) {
            case F32 -> dotF32(x, xOff, w, wOff * 4, n);
            case BF16 -> dotBf16(x, xOff, w, wOff * 2, n);
            case F16 -> dotF16(x, xOff, w, wOff * 2, n);
        };
    }

    /** Widens {@code n} weights of {@code dtype} starting at element {@code wOff} into {@code dst[dstOff ..]}. */
    static void widen(MemorySegment w, long wOff, DType dtype, float[] dst, int dstOff, int n) {
        int i = 0;
        int upper = F.loopBound(n);
        switch (dtype) {
            case F32 -> MemorySegment.copy(w, F32_LE, wOff * 4, dst, dstOff, n);
            case BF16 -> {
                for (; i < upper; i += L) loadBf16(w, (wOff + i) * 2).intoArray(dst, dstOff + i);
                for (; i < n; i++) dst[dstOff + i] = bf16ToFloat(w.get(S16_LE, (wOff + i) * 2));
            }
            case F16 -> {
                for (; i < upper; i += L) loadF16(w, (wOff + i) * 2).intoArray(dst, dstOff + i);
                for (; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(w.get(S16_LE, (wOff + i) * 2));
            }
        }
    }

    // ---------------------------------------------------------------- the kernels (same shape, four times)

    /** fp32 · fp32, both on the heap. */
    static float dot(float[] x, int xOff, float[] w, int wOff, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int upper4 = n - n % (4 * L); i < upper4; i += 4 * L) {
            a0 = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, w, wOff + i), a0);
            a1 = FloatVector.fromArray(F, x, xOff + i + L).fma(FloatVector.fromArray(F, w, wOff + i + L), a1);
            a2 = FloatVector.fromArray(F, x, xOff + i + 2 * L).fma(FloatVector.fromArray(F, w, wOff + i + 2 * L), a2);
            a3 = FloatVector.fromArray(F, x, xOff + i + 3 * L).fma(FloatVector.fromArray(F, w, wOff + i + 3 * L), a3);
        }
        for (int upper = F.loopBound(n); i < upper; i += L) {
            a0 = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, w, wOff + i), a0);
        }
        float sum = sumLanes(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) sum = Math.fma(x[xOff + i], w[wOff + i], sum);
        return sum;
    }

    /** fp32 activations · fp32 weights in a segment ({@code wByte}: byte offset of the row). */
    static float dotF32(float[] x, int xOff, MemorySegment w, long wByte, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int upper4 = n - n % (4 * L); i < upper4; i += 4 * L) {
            long b = wByte + (long) i * 4;
            a0 = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromMemorySegment(F, w, b, LE), a0);
            a1 = FloatVector.fromArray(F, x, xOff + i + L).fma(FloatVector.fromMemorySegment(F, w, b + 4L * L, LE), a1);
            a2 = FloatVector.fromArray(F, x, xOff + i + 2 * L).fma(FloatVector.fromMemorySegment(F, w, b + 8L * L, LE), a2);
            a3 = FloatVector.fromArray(F, x, xOff + i + 3 * L).fma(FloatVector.fromMemorySegment(F, w, b + 12L * L, LE), a3);
        }
        for (int upper = F.loopBound(n); i < upper; i += L) {
            a0 = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromMemorySegment(F, w, wByte + (long) i * 4, LE), a0);
        }
        float sum = sumLanes(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) sum = Math.fma(x[xOff + i], w.get(F32_LE, wByte + (long) i * 4), sum);
        return sum;
    }

    /** fp32 activations · bf16 weights, widened in registers. */
    static float dotBf16(float[] x, int xOff, MemorySegment w, long wByte, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int upper4 = n - n % (4 * L); i < upper4; i += 4 * L) {
            long b = wByte + (long) i * 2;
            a0 = FloatVector.fromArray(F, x, xOff + i).fma(loadBf16(w, b), a0);
            a1 = FloatVector.fromArray(F, x, xOff + i + L).fma(loadBf16(w, b + 2L * L), a1);
            a2 = FloatVector.fromArray(F, x, xOff + i + 2 * L).fma(loadBf16(w, b + 4L * L), a2);
            a3 = FloatVector.fromArray(F, x, xOff + i + 3 * L).fma(loadBf16(w, b + 6L * L), a3);
        }
        for (int upper = F.loopBound(n); i < upper; i += L) {
            a0 = FloatVector.fromArray(F, x, xOff + i).fma(loadBf16(w, wByte + (long) i * 2), a0);
        }
        float sum = sumLanes(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) sum = Math.fma(x[xOff + i], bf16ToFloat(w.get(S16_LE, wByte + (long) i * 2)), sum);
        return sum;
    }

    /** fp32 activations · f16 weights, widened in registers. */
    static float dotF16(float[] x, int xOff, MemorySegment w, long wByte, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int upper4 = n - n % (4 * L); i < upper4; i += 4 * L) {
            long b = wByte + (long) i * 2;
            a0 = FloatVector.fromArray(F, x, xOff + i).fma(loadF16(w, b), a0);
            a1 = FloatVector.fromArray(F, x, xOff + i + L).fma(loadF16(w, b + 2L * L), a1);
            a2 = FloatVector.fromArray(F, x, xOff + i + 2 * L).fma(loadF16(w, b + 4L * L), a2);
            a3 = FloatVector.fromArray(F, x, xOff + i + 3 * L).fma(loadF16(w, b + 6L * L), a3);
        }
        for (int upper = F.loopBound(n); i < upper; i += L) {
            a0 = FloatVector.fromArray(F, x, xOff + i).fma(loadF16(w, wByte + (long) i * 2), a0);
        }
        float sum = sumLanes(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) sum = Math.fma(x[xOff + i], Float.float16ToFloat(w.get(S16_LE, wByte + (long) i * 2)), sum);
        return sum;
    }

    // ---------------------------------------------------------------- widening and lane sums

    /** L bf16 values at byte {@code b} as fp32: sign-extend to 32 bits, shift the 16 bits to the top. */
    static FloatVector loadBf16(MemorySegment w, long b) {
        IntVector wide = (IntVector) ShortVector.fromMemorySegment(S, w, b, LE).convertShape(VectorOperators.S2I, I, 0);
        return wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * L f16 values at byte {@code b} as fp32. The 15 magnitude bits shifted left by 13 are an fp32
     * whose exponent is 112 too small (bias 15 vs 127); multiplying by 2^112 fixes it exactly, for
     * subnormal halves too. Exponent 31 (inf/NaN) must become fp32's 255 instead; the sign goes back last.
     */
    static FloatVector loadF16(MemorySegment w, long b) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, b, LE).convertShape(VectorOperators.S2I, I, 0);
        IntVector shifted = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
        IntVector magnitude = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        VectorMask<Integer> infOrNan = h.and(0x7c00).compare(VectorOperators.EQ, 0x7c00);
        magnitude = magnitude.blend(shifted.or(0x7f80_0000), infOrNan);
        return magnitude.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** Sum of the lanes by a fixed tree: v + rotate(v, L/2), then L/4, ... ; lane 0 holds the sum. */
    static float sumLanes(FloatVector v) {
        for (VectorShuffle<Float> rotation : HALVINGS) v = v.add(v.rearrange(rotation));
        return v.lane(0);
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halvings() {
        int steps = Integer.numberOfTrailingZeros(L);
        VectorShuffle<Float>[] shuffles = new VectorShuffle[steps];
        for (int s = 0, shift = L / 2; s < steps; s++, shift /= 2) {
            shuffles[s] = VectorShuffle.iota(F, shift, 1, true);
        }
        return shuffles;
    }
}
