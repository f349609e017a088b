package dev.pagoda.backend.cpu;

import static dev.pagoda.backend.cpu.Dot.F;
import static dev.pagoda.backend.cpu.Dot.I;
import static dev.pagoda.backend.cpu.Dot.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The bf16 matmul micro-kernels: fp32 activations times bf16 weight rows, the inner loop of every
 * decode step of a bf16 model.
 *
 * <p><b>Cheap widening: pairs.</b> A bf16 is the top half of an fp32. Loading 2L bf16 weights as
 * L ints puts elements {@code 2k} (low half) and {@code 2k+1} (high half) in int lane {@code k};
 * then {@code int << 16} is the even elements as fp32 and {@code int & 0xFFFF0000} the odd ones.
 * One full-width load and two single-cycle, in-lane operations widen 2L weights (a
 * sign-extending {@code S2I} conversion crosses lanes and costs more than the memory it saves).
 * The activations are de-interleaved to match, once per matmul ({@link #splitPairs}): per block
 * of 2L elements, first the L even ones, then the L odd ones.
 *
 * <p><b>Register tiles.</b> With several batch rows, {@link #tile4x4} computes 4 batch rows × 4
 * weight rows at once in 16 accumulators: each weight vector loaded (and widened) is used by 4
 * rows, each activation vector by 4 weight rows, so one load feeds 4 FMAs instead of one. With one
 * batch row, {@link #tile1x4} still takes 4 weight rows at once: 4 independent FMA chains and 4
 * memory streams, and one activation load for 4 weight rows.
 *
 * <p><b>The pair order (why results never depend on the batch).</b> Every output
 * {@code x · w} is reduced in exactly one order, whichever kernel computes it: one accumulator
 * vector; per block of 2L elements {@code acc = fma(xEven, wEven, acc)} then
 * {@code acc = fma(xOdd, wOdd, acc)}; the lanes summed by {@link Dot#sumLanes}'s fixed tree; the
 * last {@code n % 2L} elements fused-multiply-added one by one, in order. Tiling only changes
 * which outputs are computed side by side, never the operations inside one output, so a row's
 * result is bit-identical alone, in a batch of 64, on any thread. {@link #dot} is the same order
 * for one output, and the tests' {@code NaiveOps.dotBf16PairOrder} spells it out in scalar code.
 */
final class Bf16MatMulKernel {
    private Bf16MatMulKernel() {}

    /** Elements per pair block: one int-vector load of bf16 weights. */
    static final int BLOCK = 2 * L;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort S16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final int HIGH_HALF = 0xFFFF_0000;

    /**
     * De-interleaves {@code x[xOff ..< xOff+n]} into {@code dst[dstOff ..]}: per full block of 2L
     * elements the L even-indexed ones, then the L odd-indexed ones; the last {@code n % 2L} as they are.
     */
    static void splitPairs(float[] x, int xOff, float[] dst, int dstOff, int n) {
        int upper = n - n % BLOCK;
        for (int b = 0; b < upper; b += BLOCK) {
            for (int k = 0; k < L; k++) {
                dst[dstOff + b + k] = x[xOff + b + 2 * k];
                dst[dstOff + b + L + k] = x[xOff + b + 2 * k + 1];
            }
        }
        System.arraycopy(x, xOff + upper, dst, dstOff + upper, n - upper);
    }

    /** The even elements of a pair block, as fp32: the low halves moved up. */
    private static FloatVector even(IntVector pairs) {
        return pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** The odd elements of a pair block, as fp32: the high halves with the low bits cleared. */
    private static FloatVector odd(IntVector pairs) {
        return pairs.and(HIGH_HALF).reinterpretAsFloats();
    }

    private static IntVector load(MemorySegment w, long byteOffset) {
        return IntVector.fromMemorySegment(I, w, byteOffset, LE);
    }

    /** Lane sum and scalar tail of one output: the end of the pair order. */
    private static float finish(FloatVector acc, float[] xp, int xOff, MemorySegment w, long wByte, int upper, int n) {
        float sum = Dot.sumLanes(acc);
        for (int i = upper; i < n; i++) sum = Math.fma(xp[xOff + i], Dot.bf16ToFloat(w.get(S16_LE, wByte + 2L * i)), sum);
        return sum;
    }

    /**
     * One output in the pair order: {@code xp[xOff ..< xOff+n]} (de-interleaved by {@link #splitPairs})
     * · the bf16 weight row at byte {@code wByte}. The reference the tiles must equal bit for bit.
     */
    static float dot(float[] xp, int xOff, MemorySegment w, long wByte, int n) {
        FloatVector acc = FloatVector.zero(F);
        int upper = n - n % BLOCK;
        for (int i = 0; i < upper; i += BLOCK) {
            IntVector p = load(w, wByte + 2L * i);
            acc = FloatVector.fromArray(F, xp, xOff + i).fma(even(p), acc);
            acc = FloatVector.fromArray(F, xp, xOff + i + L).fma(odd(p), acc);
        }
        return finish(acc, xp, xOff, w, wByte, upper, n);
    }

    /**
     * 1 batch row × 4 weight rows: {@code out[outOff + c] = xp · W[c] (+ bias[c])} for the 4
     * consecutive weight rows starting at byte {@code wByte}, {@code wStride} bytes apart.
     *
     * @param xp     the de-interleaved row {@code [n]} at {@code xOff}
     * @param bias   {@code [4]} at {@code biasOff}, or {@code null}
     */
    static void tile1x4(float[] xp, int xOff, MemorySegment w, long wByte, long wStride, int n,
                        float[] out, int outOff, float[] bias, int biasOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long w1 = wByte + wStride, w2 = w1 + wStride, w3 = w2 + wStride;
        int upper = n - n % BLOCK;
        for (int i = 0; i < upper; i += BLOCK) {
            long b = 2L * i;
            IntVector p0 = load(w, wByte + b), p1 = load(w, w1 + b), p2 = load(w, w2 + b), p3 = load(w, w3 + b);
            FloatVector x = FloatVector.fromArray(F, xp, xOff + i);
            a0 = x.fma(even(p0), a0);
            a1 = x.fma(even(p1), a1);
            a2 = x.fma(even(p2), a2);
            a3 = x.fma(even(p3), a3);
            x = FloatVector.fromArray(F, xp, xOff + i + L);
            a0 = x.fma(odd(p0), a0);
            a1 = x.fma(odd(p1), a1);
            a2 = x.fma(odd(p2), a2);
            a3 = x.fma(odd(p3), a3);
        }
        out[outOff] = withBias(finish(a0, xp, xOff, w, wByte, upper, n), bias, biasOff);
        out[outOff + 1] = withBias(finish(a1, xp, xOff, w, w1, upper, n), bias, biasOff + 1);
        out[outOff + 2] = withBias(finish(a2, xp, xOff, w, w2, upper, n), bias, biasOff + 2);
        out[outOff + 3] = withBias(finish(a3, xp, xOff, w, w3, upper, n), bias, biasOff + 3);
    }

    /**
     * 4 batch rows × 4 weight rows: {@code out[outOff + r*outStride + c] = xp[r] · W[c] (+ bias[c])}.
     * 16 accumulators stay in registers (of 32); per block of 2L elements it loads 4 weight
     * vectors and 8 activation vectors for 32 FMAs.
     *
     * @param xp        de-interleaved rows {@code [4][n]} at {@code xOff}, {@code xStride} floats apart
     * @param wByte     byte offset of weight row 0; rows {@code wStride} bytes apart
     * @param out       results at {@code outOff}, rows {@code outStride} floats apart
     * @param bias      {@code [4]} at {@code biasOff}, or {@code null}
     */
    static void tile4x4(float[] xp, int xOff, int xStride, MemorySegment w, long wByte, long wStride, int n,
                        float[] out, int outOff, int outStride, float[] bias, int biasOff) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z; // a<batch row><weight row>
        FloatVector a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z;
        FloatVector a30 = z, a31 = z, a32 = z, a33 = z;
        long w1 = wByte + wStride, w2 = w1 + wStride, w3 = w2 + wStride;
        int x1 = xOff + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        int upper = n - n % BLOCK;
        for (int i = 0; i < upper; i += BLOCK) {
            long b = 2L * i;
            IntVector p0 = load(w, wByte + b), p1 = load(w, w1 + b), p2 = load(w, w2 + b), p3 = load(w, w3 + b);
            // Even halves: every weight vector meets all four rows.
            FloatVector e0 = even(p0), e1 = even(p1), e2 = even(p2), e3 = even(p3);
            FloatVector x = FloatVector.fromArray(F, xp, xOff + i);
            a00 = x.fma(e0, a00); a01 = x.fma(e1, a01); a02 = x.fma(e2, a02); a03 = x.fma(e3, a03);
            x = FloatVector.fromArray(F, xp, x1 + i);
            a10 = x.fma(e0, a10); a11 = x.fma(e1, a11); a12 = x.fma(e2, a12); a13 = x.fma(e3, a13);
            x = FloatVector.fromArray(F, xp, x2 + i);
            a20 = x.fma(e0, a20); a21 = x.fma(e1, a21); a22 = x.fma(e2, a22); a23 = x.fma(e3, a23);
            x = FloatVector.fromArray(F, xp, x3 + i);
            a30 = x.fma(e0, a30); a31 = x.fma(e1, a31); a32 = x.fma(e2, a32); a33 = x.fma(e3, a33);
            // Odd halves, after the even ones: the pair order of every output.
            FloatVector o0 = odd(p0), o1 = odd(p1), o2 = odd(p2), o3 = odd(p3);
            x = FloatVector.fromArray(F, xp, xOff + i + L);
            a00 = x.fma(o0, a00); a01 = x.fma(o1, a01); a02 = x.fma(o2, a02); a03 = x.fma(o3, a03);
            x = FloatVector.fromArray(F, xp, x1 + i + L);
            a10 = x.fma(o0, a10); a11 = x.fma(o1, a11); a12 = x.fma(o2, a12); a13 = x.fma(o3, a13);
            x = FloatVector.fromArray(F, xp, x2 + i + L);
            a20 = x.fma(o0, a20); a21 = x.fma(o1, a21); a22 = x.fma(o2, a22); a23 = x.fma(o3, a23);
            x = FloatVector.fromArray(F, xp, x3 + i + L);
            a30 = x.fma(o0, a30); a31 = x.fma(o1, a31); a32 = x.fma(o2, a32); a33 = x.fma(o3, a33);
        }
        int o1 = outOff + outStride, o2 = o1 + outStride, o3 = o2 + outStride;
        out[outOff] = withBias(finish(a00, xp, xOff, w, wByte, upper, n), bias, biasOff);
        out[outOff + 1] = withBias(finish(a01, xp, xOff, w, w1, upper, n), bias, biasOff + 1);
        out[outOff + 2] = withBias(finish(a02, xp, xOff, w, w2, upper, n), bias, biasOff + 2);
        out[outOff + 3] = withBias(finish(a03, xp, xOff, w, w3, upper, n), bias, biasOff + 3);
        out[o1] = withBias(finish(a10, xp, x1, w, wByte, upper, n), bias, biasOff);
        out[o1 + 1] = withBias(finish(a11, xp, x1, w, w1, upper, n), bias, biasOff + 1);
        out[o1 + 2] = withBias(finish(a12, xp, x1, w, w2, upper, n), bias, biasOff + 2);
        out[o1 + 3] = withBias(finish(a13, xp, x1, w, w3, upper, n), bias, biasOff + 3);
        out[o2] = withBias(finish(a20, xp, x2, w, wByte, upper, n), bias, biasOff);
        out[o2 + 1] = withBias(finish(a21, xp, x2, w, w1, upper, n), bias, biasOff + 1);
        out[o2 + 2] = withBias(finish(a22, xp, x2, w, w2, upper, n), bias, biasOff + 2);
        out[o2 + 3] = withBias(finish(a23, xp, x2, w, w3, upper, n), bias, biasOff + 3);
        out[o3] = withBias(finish(a30, xp, x3, w, wByte, upper, n), bias, biasOff);
        out[o3 + 1] = withBias(finish(a31, xp, x3, w, w1, upper, n), bias, biasOff + 1);
        out[o3 + 2] = withBias(finish(a32, xp, x3, w, w2, upper, n), bias, biasOff + 2);
        out[o3 + 3] = withBias(finish(a33, xp, x3, w, w3, upper, n), bias, biasOff + 3);
    }

    /** {@code dot + bias[j]}, or {@code dot} without a bias: the same single rounding on every path. */
    static float withBias(float dot, float[] bias, int j) {
        return bias == null ? dot : dot + bias[j];
    }
}
