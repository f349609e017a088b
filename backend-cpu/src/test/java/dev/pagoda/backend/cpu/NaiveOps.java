package dev.pagoda.backend.cpu;

import dev.pagoda.engine.model.Tensor;

/**
 * Plain-loop versions of the kernels, written for obviousness, not speed: the test oracle of
 * {@link Dot}, {@link VectorOps} and {@link MatMul}. Same formulas as Hugging Face, one scalar at a time.
 */
final class NaiveOps {
    private NaiveOps() {}

    /** Element {@code index} of a tensor, widened to fp32 one value at a time. */
    static float get(Tensor t, long index) {
        return switch (t.dtype()) {
            case F32 -> t.data().getAtIndex(RandomModels.F32_LE, index);
            case BF16 -> Float.intBitsToFloat(t.data().getAtIndex(RandomModels.S16_LE, index) << 16);
            case F16 -> Float.float16ToFloat(t.data().getAtIndex(RandomModels.S16_LE, index));
        };
    }

    /** {@code out[r, j] = sum_k x[r, k] * w[j, k] + bias[j]}; {@code x: [rows, in]}, {@code w: [out, in]}. */
    static float[] matmul(float[] x, int rows, Tensor w, float[] bias) {
        int out = (int) w.dim(0), in = (int) w.dim(1);
        float[] y = new float[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < out; j++) {
                float sum = 0f;
                for (int k = 0; k < in; k++) sum += x[r * in + k] * get(w, (long) j * in + k);
                y[r * out + j] = bias == null ? sum : sum + bias[j];
            }
        }
        return y;
    }

    static float dot(float[] x, int xOff, float[] w, int wOff, int n) {
        float sum = 0f;
        for (int k = 0; k < n; k++) sum += x[xOff + k] * w[wOff + k];
        return sum;
    }

    /**
     * The bf16 matmul's reduction order ({@link Bf16MatMulKernel}), one scalar at a time, with
     * {@code lanes} accumulator lanes: per block of {@code 2 * lanes} elements, even lane {@code k}
     * fused-multiply-adds element {@code 2k}, odd lane {@code k} element {@code 2k+1}; the even
     * and odd lanes are added; the lanes are summed by the halving tree of rotations
     * ({@code v[k] += v[(k + shift) % lanes]}, shift = lanes/2 … 1); the leftover elements are
     * fused in order. Written without vectors so that a bit-exact match with the kernels means
     * they really do this.
     *
     * @param w the weight row {@code [n]}, already exact in fp32 (bf16 widens exactly)
     */
    static float dotBf16PairOrder(float[] x, int xOff, float[] w, int n, int lanes) {
        float[] even = new float[lanes], odd = new float[lanes];
        int block = 2 * lanes, upper = n - n % block;
        for (int b = 0; b < upper; b += block) {
            for (int k = 0; k < lanes; k++) {
                even[k] = Math.fma(x[xOff + b + 2 * k], w[b + 2 * k], even[k]);
                odd[k] = Math.fma(x[xOff + b + 2 * k + 1], w[b + 2 * k + 1], odd[k]);
            }
        }
        float[] acc = new float[lanes];
        for (int k = 0; k < lanes; k++) acc[k] = even[k] + odd[k];
        for (int shift = lanes / 2; shift >= 1; shift /= 2) {
            float[] next = new float[lanes];
            for (int k = 0; k < lanes; k++) next[k] = acc[k] + acc[(k + shift) % lanes];
            acc = next;
        }
        float sum = acc[0];
        for (int i = upper; i < n; i++) sum = Math.fma(x[xOff + i], w[i], sum);
        return sum;
    }

    static void rmsNorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int n, float eps) {
        float sumOfSquares = 0f;
        for (int k = 0; k < n; k++) sumOfSquares += x[xOff + k] * x[xOff + k];
        float inverseRms = 1.0f / (float) Math.sqrt(sumOfSquares / n + eps);
        for (int k = 0; k < n; k++) out[outOff + k] = weight[k] * (x[xOff + k] * inverseRms);
    }

    /** Rotate-half RoPE at {@code position}, computing the angles itself. */
    static void rotaryEmbedding(float[] x, int off, int numHeads, int headSize, float[] invFreq, int position) {
        int half = headSize / 2;
        for (int h = 0; h < numHeads; h++) {
            for (int i = 0; i < half; i++) {
                float angle = invFreq[i] * (float) position;
                float c = (float) Math.cos(angle), s = (float) Math.sin(angle);
                int i1 = off + h * headSize + i, i2 = i1 + half;
                float a = x[i1], b = x[i2];
                x[i1] = a * c - b * s;
                x[i2] = b * c + a * s;
            }
        }
    }

    static void siluAndMul(float[] out, float[] gate, float[] up, int n) {
        for (int k = 0; k < n; k++) out[k] = gate[k] / (1f + (float) Math.exp(-gate[k])) * up[k];
    }

    static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) max = Math.max(max, x[off + k]);
        float sum = 0f;
        for (int k = 0; k < n; k++) sum += (x[off + k] = (float) Math.exp(x[off + k] - max));
        for (int k = 0; k < n; k++) x[off + k] /= sum;
    }

    static void add(float[] dst, float[] src, int n) {
        for (int k = 0; k < n; k++) dst[k] += src[k];
    }

    /** max |a - b| / max |b|: the error measure of the conformance tests. */
    static double relativeError(float[] actual, float[] expected) {
        double maxDiff = 0, maxRef = 0;
        for (int k = 0; k < expected.length; k++) {
            maxDiff = Math.max(maxDiff, Math.abs(actual[k] - expected[k]));
            maxRef = Math.max(maxRef, Math.abs(expected[k]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }
}
