package dev.pagoda.backend.cpu;

import static dev.pagoda.backend.cpu.Dot.F;
import static dev.pagoda.backend.cpu.Dot.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The element-wise kernels of a decoder layer, one row at a time, with the Vector API. Each has a
 * plain-loop twin in the tests' {@code NaiveOps}, its oracle.
 *
 * <p>Numerics follow Hugging Face transformers in fp32, operation by operation (e.g. RMSNorm
 * multiplies by the reciprocal square root first and by the weight second, RoPE rounds each
 * product before adding), so that logits agree to ~1e-5. Java never fuses {@code a * b + c} on
 * its own, so the vector code rounds exactly where the scalar code does. Exponentials use
 * scalar {@link Math#exp}: the Vector API's {@code EXP} may differ by an ulp between interpreted
 * and compiled code, and results must be the same on every call.
 */
final class VectorOps {
    private VectorOps() {}

    /**
     * RMSNorm as transformers' {@code LlamaRMSNorm}: {@code out = weight * (x * rsqrt(mean(x²) + eps))}.
     *
     * @param out    {@code [n]} at {@code outOff} (may be {@code x} itself)
     * @param x      {@code [n]} at {@code xOff}
     * @param weight {@code [n]}
     */
    static void rmsNorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int n, float eps) {
        float sumOfSquares = Dot.dot(x, xOff, x, xOff, n);
        float inverseRms = 1.0f / (float) Math.sqrt(sumOfSquares / n + eps);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += L) {
            FloatVector normalized = FloatVector.fromArray(F, x, xOff + i).mul(inverseRms);
            FloatVector.fromArray(F, weight, i).mul(normalized).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = weight[i] * (x[xOff + i] * inverseRms);
    }

    /**
     * Rotary position embedding, Hugging Face's "rotate half" convention, on every head of one
     * token: for pair {@code i < headSize/2}, elements {@code i} and {@code i + headSize/2} turn by
     * the angle whose cosine and sine are {@code cos[i]}, {@code sin[i]}:
     * <pre>
     *   x1' = x1 * cos - x2 * sin
     *   x2' = x2 * cos + x1 * sin
     * </pre>
     *
     * @param x   {@code [numHeads, headSize]} at {@code off}, rotated in place
     * @param cos {@code [headSize / 2]} at {@code csOff}: cos of this token's angles
     * @param sin {@code [headSize / 2]} at {@code csOff}
     */
    static void rotaryEmbedding(float[] x, int off, int numHeads, int headSize, float[] cos, float[] sin, int csOff) {
        int half = headSize / 2;
        int upper = F.loopBound(half);
        for (int h = 0; h < numHeads; h++) {
            int x1 = off + h * headSize, x2 = x1 + half;
            int i = 0;
            for (; i < upper; i += L) {
                FloatVector a = FloatVector.fromArray(F, x, x1 + i);
                FloatVector b = FloatVector.fromArray(F, x, x2 + i);
                FloatVector c = FloatVector.fromArray(F, cos, csOff + i);
                FloatVector s = FloatVector.fromArray(F, sin, csOff + i);
                a.mul(c).sub(b.mul(s)).intoArray(x, x1 + i);
                b.mul(c).add(a.mul(s)).intoArray(x, x2 + i);
            }
            for (; i < half; i++) {
                float a = x[x1 + i], b = x[x2 + i], c = cos[csOff + i], s = sin[csOff + i];
                x[x1 + i] = a * c - b * s;
                x[x2 + i] = b * c + a * s;
            }
        }
    }

    /**
     * The gated MLP's activation: {@code out[i] = silu(gate[i]) * up[i]} with
     * {@code silu(g) = g / (1 + exp(-g))}. Scalar: {@code exp} must be the same on every call (see class comment).
     */
    static void siluAndMul(float[] out, int outOff, float[] gate, int gateOff, float[] up, int upOff, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[gateOff + i];
            float silu = g / (1.0f + (float) Math.exp(-g));
            out[outOff + i] = silu * up[upOff + i];
        }
    }

    /** Softmax of {@code x[off ..< off+n]} in place: subtract the max (no overflow), exponentiate, divide by the sum. */
    static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        int i = 0;
        int upper = F.loopBound(n);
        if (upper > 0) {
            FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (; i < upper; i += L) m = m.max(FloatVector.fromArray(F, x, off + i));
            max = m.reduceLanes(VectorOperators.MAX); // max is exact in any order
        }
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        float sum = 0f;
        for (i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e; // sequential: the same order for the same row, whatever the batch
        }
        i = 0;
        for (; i < upper; i += L) FloatVector.fromArray(F, x, off + i).div(sum).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] /= sum;
    }

    /** {@code dst[i] += src[i]}: the residual connection. */
    static void add(float[] dst, int dstOff, float[] src, int srcOff, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += L) {
            FloatVector.fromArray(F, dst, dstOff + i).add(FloatVector.fromArray(F, src, srcOff + i)).intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) dst[dstOff + i] += src[srcOff + i];
    }

    /** {@code out[i] += p * v[i]} (fused), the accumulation of attention's weighted sum of values; {@code v} is fp32 in the KV cache at byte {@code vByte}. */
    static void fmaInto(float[] out, int outOff, float p, MemorySegment v, long vByte, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += L) {
            FloatVector vi = FloatVector.fromMemorySegment(F, v, vByte + (long) i * 4, ByteOrder.LITTLE_ENDIAN);
            vi.fma(FloatVector.broadcast(F, p), FloatVector.fromArray(F, out, outOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = Math.fma(p, v.get(PagedKvCache.F32_LE, vByte + (long) i * 4), out[outOff + i]);
    }
}
