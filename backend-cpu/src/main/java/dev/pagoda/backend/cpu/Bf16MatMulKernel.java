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
 * <p><b>One batch row: a sequential stream.</b> {@link #dot} walks the weight matrix row after
 * row, which the hardware prefetchers follow at full speed. (Reading 4 rows side by side, 4 short
 * streams 2·inFeatures bytes apart, measured 2–3× slower from DRAM on our machine, even for a
 * plain sum.)
 *
 * <p><b>Several batch rows: register tiles.</b> 4 weight rows are first copied ("packed",
 * {@link #pack}) into a small L1-resident buffer, again as one sequential read. Then
 * {@link #tile4x4} computes 4 batch rows × 4 weight rows in 16 accumulators: each weight vector
 * loaded (and widened) is used by 4 rows, each activation vector by 4 weight rows, so one load
 * feeds 4 FMAs instead of one. {@link #tile1x4} takes the last {@code numRows % 4} batch rows.
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
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
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

    /** One pair block of a packed tile: 2L bf16 weights held as the raw bits of L floats. */
    private static IntVector load(float[] packed, int index) {
        return FloatVector.fromArray(F, packed, index).reinterpretAsInts();
    }

    /**
     * Copies rows {@code [c0, c1)} of the bf16 weight tile starting at byte {@code tileByte}
     * (rows of {@code n} elements, back to back) into {@code packed}: row {@code c} at float index
     * {@code c * packedRowLength(n)}, each float the raw bits of two bf16 values (a bulk copy, no
     * conversion). The read is one sequential stream; the tiles then reuse the rows from L1.
     */
    static void pack(MemorySegment w, long tileByte, int c0, int c1, int n, float[] packed) {
        int stride = packedRowLength(n);
        for (int c = c0; c < c1; c++) {
            long rowByte = tileByte + 2L * n * c;
            MemorySegment.copy(w, F32_LE, rowByte, packed, c * stride, n / 2);
            if (n % 2 != 0) packed[c * stride + n / 2] = Float.intBitsToFloat(w.get(S16_LE, rowByte + 2L * (n - 1)) & 0xFFFF);
        }
    }

    /** Floats per packed row: two bf16 per float, rounded up. */
    static int packedRowLength(int n) {
        return (n + 1) / 2;
    }

    /** Element {@code i} of a packed row starting at float index {@code rowIndex}. */
    private static float packedElement(float[] packed, int rowIndex, int i) {
        int pair = Float.floatToRawIntBits(packed[rowIndex + i / 2]);
        return Float.intBitsToFloat(i % 2 == 0 ? pair << 16 : pair & HIGH_HALF);
    }

    /** Lane sum and scalar tail of one output whose weights are packed. */
    private static float finish(FloatVector acc, float[] xp, int xOff, float[] packed, int rowIndex, int upper, int n) {
        float sum = Dot.sumLanes(acc);
        for (int i = upper; i < n; i++) sum = Math.fma(xp[xOff + i], packedElement(packed, rowIndex, i), sum);
        return sum;
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
     * 1 batch row × 4 packed weight rows: {@code out[outOff + c] = xp · W[c] (+ bias[c])}.
     *
     * @param xp     the de-interleaved row {@code [n]} at {@code xOff}
     * @param packed 4 weight rows as {@link #pack} leaves them
     * @param bias   {@code [4]} at {@code biasOff}, or {@code null}
     * @param sums   scratch {@code [16 * L]} for the accumulators
     */
    static void tile1x4(float[] xp, int xOff, float[] packed, int n, float[] out, int outOff, float[] bias, int biasOff, float[] sums) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int w1 = packedRowLength(n), w2 = 2 * w1, w3 = 3 * w1;
        int upper = n - n % BLOCK;
        for (int i = 0; i < upper; i += BLOCK) {
            int h = i / 2; // float index of this pair block within a packed row
            IntVector p0 = load(packed, h), p1 = load(packed, w1 + h), p2 = load(packed, w2 + h), p3 = load(packed, w3 + h);
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
        a0.intoArray(sums, 0); a1.intoArray(sums, L); a2.intoArray(sums, 2 * L); a3.intoArray(sums, 3 * L);
        finishTile(sums, 1, xp, xOff, 0, packed, n, out, outOff, 0, bias, biasOff);
    }

    /**
     * 4 batch rows × 4 packed weight rows: {@code out[outOff + r*outStride + c] = xp[r] · W[c] (+ bias[c])}.
     * 16 accumulators stay in registers (of 32); per block of 2L elements it loads 4 weight
     * vectors and 8 activation vectors for 32 FMAs.
     *
     * @param xp        de-interleaved rows {@code [4][n]} at {@code xOff}, {@code xStride} floats apart
     * @param packed    4 weight rows as {@link #pack} leaves them
     * @param out       results at {@code outOff}, rows {@code outStride} floats apart
     * @param bias      {@code [4]} at {@code biasOff}, or {@code null}
     * @param sums      scratch {@code [16 * L]} for the accumulators
     */
    static void tile4x4(float[] xp, int xOff, int xStride, float[] packed, int n,
                        float[] out, int outOff, int outStride, float[] bias, int biasOff, float[] sums) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z; // a<batch row><weight row>
        FloatVector a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z;
        FloatVector a30 = z, a31 = z, a32 = z, a33 = z;
        int w1 = packedRowLength(n), w2 = 2 * w1, w3 = 3 * w1;
        int x1 = xOff + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        int upper = n - n % BLOCK;
        for (int i = 0; i < upper; i += BLOCK) {
            int h = i / 2;
            IntVector p0 = FloatVector.fromArray(F, packed, h).reinterpretAsInts();
            IntVector p1 = FloatVector.fromArray(F, packed, w1 + h).reinterpretAsInts();
            IntVector p2 = FloatVector.fromArray(F, packed, w2 + h).reinterpretAsInts();
            IntVector p3 = FloatVector.fromArray(F, packed, w3 + h).reinterpretAsInts();
            // The even halves (shift 0), then the odd ones (shift 16): the pair order of every
            // output, as (pairs >>> shift) << 16. Only Vector API calls in here: C2 always inlines
            // those (they are @ForceInline), but stops inlining our own helpers once a method
            // grows this large, and a helper left as a call boxes its vectors.
            for (int shift = 0; shift <= 16; shift += 16) {
                int xi = i + (shift == 0 ? 0 : L);
                FloatVector w0 = p0.lanewise(VectorOperators.LSHR, shift).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                FloatVector w1v = p1.lanewise(VectorOperators.LSHR, shift).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                FloatVector w2v = p2.lanewise(VectorOperators.LSHR, shift).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                FloatVector w3v = p3.lanewise(VectorOperators.LSHR, shift).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                FloatVector x = FloatVector.fromArray(F, xp, xOff + xi);
                a00 = x.fma(w0, a00); a01 = x.fma(w1v, a01); a02 = x.fma(w2v, a02); a03 = x.fma(w3v, a03);
                x = FloatVector.fromArray(F, xp, x1 + xi);
                a10 = x.fma(w0, a10); a11 = x.fma(w1v, a11); a12 = x.fma(w2v, a12); a13 = x.fma(w3v, a13);
                x = FloatVector.fromArray(F, xp, x2 + xi);
                a20 = x.fma(w0, a20); a21 = x.fma(w1v, a21); a22 = x.fma(w2v, a22); a23 = x.fma(w3v, a23);
                x = FloatVector.fromArray(F, xp, x3 + xi);
                a30 = x.fma(w0, a30); a31 = x.fma(w1v, a31); a32 = x.fma(w2v, a32); a33 = x.fma(w3v, a33);
            }
        }
        // Lane sums and tails in a separate method (see the loop's comment), through the sums scratch.
        a00.intoArray(sums, 0); a01.intoArray(sums, L); a02.intoArray(sums, 2 * L); a03.intoArray(sums, 3 * L);
        a10.intoArray(sums, 4 * L); a11.intoArray(sums, 5 * L); a12.intoArray(sums, 6 * L); a13.intoArray(sums, 7 * L);
        a20.intoArray(sums, 8 * L); a21.intoArray(sums, 9 * L); a22.intoArray(sums, 10 * L); a23.intoArray(sums, 11 * L);
        a30.intoArray(sums, 12 * L); a31.intoArray(sums, 13 * L); a32.intoArray(sums, 14 * L); a33.intoArray(sums, 15 * L);
        finishTile(sums, 4, xp, xOff, xStride, packed, n, out, outOff, outStride, bias, biasOff);
    }

    /**
     * Ends the pair order of a tile's outputs: accumulator {@code (r, c)} is at {@code sums[(4r + c) * L]};
     * its lanes are summed, the tail fused in, the bias added, and the result stored at
     * {@code out[outOff + r * outStride + c]}.
     */
    private static void finishTile(float[] sums, int rows, float[] xp, int xOff, int xStride, float[] packed, int n,
                                   float[] out, int outOff, int outStride, float[] bias, int biasOff) {
        int upper = n - n % BLOCK;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < 4; c++) {
                FloatVector acc = FloatVector.fromArray(F, sums, (4 * r + c) * L);
                float sum = finish(acc, xp, xOff + r * xStride, packed, c * packedRowLength(n), upper, n);
                out[outOff + r * outStride + c] = withBias(sum, bias, biasOff + c);
            }
        }
    }

    /** {@code dot + bias[j]}, or {@code dot} without a bias: the same single rounding on every path. */
    static float withBias(float dot, float[] bias, int j) {
        return bias == null ? dot : dot + bias[j];
    }
}
