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
 * <p><b>Several batch rows: register tiles.</b> 4 weight rows are first widened into a small
 * fp32 buffer in the activations' de-interleaved layout ("packed", {@link #pack}), again as one
 * sequential read, so each weight is widened once per tile rather than once per batch row. Then
 * {@link #tile2x4} computes 2 batch rows × 4 weight rows in 16 accumulators: each weight vector
 * loaded is used by 2 batch rows, each activation vector by 4 weight rows (12 loads per 16 FMAs,
 * from L1/L2, instead of 2 loads per FMA). {@link #tile1x4} takes the last row of an odd batch.
 *
 * <p><b>The pair order (why results never depend on the batch).</b> Every output
 * {@code x · w} is reduced in exactly one order, whichever kernel computes it: two accumulator
 * vectors; per block of 2L elements {@code even = fma(xEven, wEven, even)} and
 * {@code odd = fma(xOdd, wOdd, odd)}; then {@code even + odd}, its lanes summed by
 * {@link Dot#sumLanes}'s fixed tree; the last {@code n % 2L} elements fused-multiply-added one by
 * one, in order. Tiling only changes
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

    /**
     * Widens rows {@code [c0, c1)} of the bf16 weight tile starting at byte {@code tileByte}
     * (rows of {@code n} elements, back to back) into {@code packed}, row {@code c} at float index
     * {@code c * n}, laid out like the activations ({@link #splitPairs}): per block of 2L, the L even
     * elements as fp32, then the L odd ones; the tail in order. The read is one sequential stream,
     * and each weight is widened once per tile instead of once per batch row; the tiles then
     * reuse the fp32 rows from L1.
     */
    static void pack(MemorySegment w, long tileByte, int c0, int c1, int n, float[] packed) {
        int upper = n - n % BLOCK;
        for (int c = c0; c < c1; c++) {
            long rowByte = tileByte + 2L * n * c;
            int row = c * n;
            for (int i = 0; i < upper; i += BLOCK) {
                IntVector p = load(w, rowByte + 2L * i);
                even(p).intoArray(packed, row + i);
                odd(p).intoArray(packed, row + i + L);
            }
            for (int i = upper; i < n; i++) packed[row + i] = Dot.bf16ToFloat(w.get(S16_LE, rowByte + 2L * i));
        }
    }

    /** Lane sum and scalar tail of one output whose weights are packed at {@code packed[row ..]}. */
    private static float finish(FloatVector acc, float[] xp, int xOff, float[] packed, int row, int upper, int n) {
        float sum = Dot.sumLanes(acc);
        for (int i = upper; i < n; i++) sum = Math.fma(xp[xOff + i], packed[row + i], sum);
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
     * · the bf16 weight row at byte {@code wByte}. The reference the tiles must equal bit for bit,
     * and the batch-1 kernel: its two accumulators are two independent FMA chains.
     */
    static float dot(float[] xp, int xOff, MemorySegment w, long wByte, int n) {
        FloatVector even = FloatVector.zero(F), odd = even;
        int upper = n - n % BLOCK;
        for (int i = 0; i < upper; i += BLOCK) {
            IntVector p = load(w, wByte + 2L * i);
            even = FloatVector.fromArray(F, xp, xOff + i).fma(even(p), even);
            odd = FloatVector.fromArray(F, xp, xOff + i + L).fma(odd(p), odd);
        }
        return finish(even.add(odd), xp, xOff, w, wByte, upper, n);
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
        FloatVector e0 = FloatVector.zero(F), e1 = e0, e2 = e0, e3 = e0; // even accumulators, per weight row
        FloatVector o0 = e0, o1 = e0, o2 = e0, o3 = e0;                 // odd accumulators
        int w1 = n, w2 = 2 * n, w3 = 3 * n; // packed rows
        int upper = n - n % BLOCK;
        for (int i = 0; i < upper; i += BLOCK) {
            FloatVector x = FloatVector.fromArray(F, xp, xOff + i);
            e0 = x.fma(FloatVector.fromArray(F, packed, i), e0);
            e1 = x.fma(FloatVector.fromArray(F, packed, w1 + i), e1);
            e2 = x.fma(FloatVector.fromArray(F, packed, w2 + i), e2);
            e3 = x.fma(FloatVector.fromArray(F, packed, w3 + i), e3);
            x = FloatVector.fromArray(F, xp, xOff + i + L);
            o0 = x.fma(FloatVector.fromArray(F, packed, i + L), o0);
            o1 = x.fma(FloatVector.fromArray(F, packed, w1 + i + L), o1);
            o2 = x.fma(FloatVector.fromArray(F, packed, w2 + i + L), o2);
            o3 = x.fma(FloatVector.fromArray(F, packed, w3 + i + L), o3);
        }
        e0.intoArray(sums, 0); o0.intoArray(sums, L); e1.intoArray(sums, 2 * L); o1.intoArray(sums, 3 * L);
        e2.intoArray(sums, 4 * L); o2.intoArray(sums, 5 * L); e3.intoArray(sums, 6 * L); o3.intoArray(sums, 7 * L);
        finishTile(sums, 1, xp, xOff, 0, packed, n, out, outOff, 0, bias, biasOff);
    }

    /**
     * 2 batch rows × 4 packed weight rows: {@code out[outOff + r*outStride + c] = xp[r] · W[c] (+ bias[c])}.
     * Its 8 outputs' 16 accumulators stay in registers (of 32); per block of 2L elements it loads 8
     * weight vectors (4 even, 4 odd halves) and 4 activation vectors for 16 FMAs.
     *
     * <p>Only Vector API calls in the loop: C2 always inlines those (they are {@code @ForceInline}),
     * but stops inlining our own helpers once a method grows this large, and a helper left as a
     * call boxes its vectors (measured: several times slower). The lane sums happen in {@link #finishTile}.
     *
     * @param xp        de-interleaved rows {@code [2][n]} at {@code xOff}, {@code xStride} floats apart
     * @param packed    4 weight rows as {@link #pack} leaves them
     * @param out       results at {@code outOff}, rows {@code outStride} floats apart
     * @param bias      {@code [4]} at {@code biasOff}, or {@code null}
     * @param sums      scratch {@code [16 * L]} for the accumulators
     */
    static void tile2x4(float[] xp, int xOff, int xStride, float[] packed, int n,
                        float[] out, int outOff, int outStride, float[] bias, int biasOff, float[] sums) {
        FloatVector z = FloatVector.zero(F);
        FloatVector e00 = z, e01 = z, e02 = z, e03 = z, o00 = z, o01 = z, o02 = z, o03 = z; // <even|odd><batch row><weight row>
        FloatVector e10 = z, e11 = z, e12 = z, e13 = z, o10 = z, o11 = z, o12 = z, o13 = z;
        int w1 = n, w2 = 2 * n, w3 = 3 * n; // packed rows
        int x1 = xOff + xStride;
        int upper = n - n % BLOCK;
        for (int i = 0; i < upper; i += BLOCK) {
            FloatVector w0 = FloatVector.fromArray(F, packed, i); // even halves
            FloatVector w1v = FloatVector.fromArray(F, packed, w1 + i);
            FloatVector w2v = FloatVector.fromArray(F, packed, w2 + i);
            FloatVector w3v = FloatVector.fromArray(F, packed, w3 + i);
            FloatVector x = FloatVector.fromArray(F, xp, xOff + i);
            e00 = x.fma(w0, e00); e01 = x.fma(w1v, e01); e02 = x.fma(w2v, e02); e03 = x.fma(w3v, e03);
            x = FloatVector.fromArray(F, xp, x1 + i);
            e10 = x.fma(w0, e10); e11 = x.fma(w1v, e11); e12 = x.fma(w2v, e12); e13 = x.fma(w3v, e13);
            w0 = FloatVector.fromArray(F, packed, i + L); // odd halves
            w1v = FloatVector.fromArray(F, packed, w1 + i + L);
            w2v = FloatVector.fromArray(F, packed, w2 + i + L);
            w3v = FloatVector.fromArray(F, packed, w3 + i + L);
            x = FloatVector.fromArray(F, xp, xOff + i + L);
            o00 = x.fma(w0, o00); o01 = x.fma(w1v, o01); o02 = x.fma(w2v, o02); o03 = x.fma(w3v, o03);
            x = FloatVector.fromArray(F, xp, x1 + i + L);
            o10 = x.fma(w0, o10); o11 = x.fma(w1v, o11); o12 = x.fma(w2v, o12); o13 = x.fma(w3v, o13);
        }
        e00.intoArray(sums, 0); o00.intoArray(sums, L); e01.intoArray(sums, 2 * L); o01.intoArray(sums, 3 * L);
        e02.intoArray(sums, 4 * L); o02.intoArray(sums, 5 * L); e03.intoArray(sums, 6 * L); o03.intoArray(sums, 7 * L);
        e10.intoArray(sums, 8 * L); o10.intoArray(sums, 9 * L); e11.intoArray(sums, 10 * L); o11.intoArray(sums, 11 * L);
        e12.intoArray(sums, 12 * L); o12.intoArray(sums, 13 * L); e13.intoArray(sums, 14 * L); o13.intoArray(sums, 15 * L);
        finishTile(sums, 2, xp, xOff, xStride, packed, n, out, outOff, outStride, bias, biasOff);
    }

    /**
     * Ends the pair order of a tile's outputs: output {@code (r, c)} has its even accumulator at
     * {@code sums[(4r + c) * 2L]} and its odd one right after; they are added, the lanes summed,
     * the tail fused in, the bias added, and the result stored at {@code out[outOff + r * outStride + c]}.
     */
    private static void finishTile(float[] sums, int rows, float[] xp, int xOff, int xStride, float[] packed, int n,
                                   float[] out, int outOff, int outStride, float[] bias, int biasOff) {
        int upper = n - n % BLOCK;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < 4; c++) {
                int at = (4 * r + c) * 2 * L;
                FloatVector acc = FloatVector.fromArray(F, sums, at).add(FloatVector.fromArray(F, sums, at + L));
                float sum = finish(acc, xp, xOff + r * xStride, packed, c * n, upper, n);
                out[outOff + r * outStride + c] = withBias(sum, bias, biasOff + c);
            }
        }
    }

    /** {@code dot + bias[j]}, or {@code dot} without a bias: the same single rounding on every path. */
    static float withBias(float dot, float[] bias, int j) {
        return bias == null ? dot : dot + bias[j];
    }
}
