package dev.pagoda.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import jcuda.Pointer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Kernels against naive Java oracles (written for clarity, in double precision) on random inputs:
 * paged attention over scattered block tables with cached context, and the cuBLAS linear layer.
 * The whole model is checked against the CPU backend in conformance/…/cuda.
 */
@Tag("gpu")
class CudaKernelsTest {
    static CudaContext cuda;
    static Cublas cublas;

    @BeforeAll
    static void open() {
        cuda = new CudaContext();
        cublas = new Cublas(cuda.rawStream);
    }

    @AfterAll
    static void close() {
        if (cublas != null) cublas.close();
        if (cuda != null) cuda.close();
    }

    @ParameterizedTest(name = "headSize {0}, heads {1}/{2}, blockSize {3}")
    @CsvSource({"64, 8, 8, 16", "128, 8, 2, 8", "64, 16, 2, 32", "128, 32, 4, 16", "32, 4, 1, 8"})
    void pagedAttentionMatchesNaive(int headSize, int numHeads, int numKvHeads, int blockSize) {
        cuda.makeCurrent();
        Random r = new Random(headSize * 31L + numHeads * 7L + blockSize);
        int numBlocks = 128;
        // Three sequences: a decode with long context, a prefill chunk on top of context, a fresh prefill.
        int[] seqLens = {600, 61, 23}, queryLens = {1, 13, 23}; // 600: several tiles of the online softmax
        int numSeqs = seqLens.length, numTokens = 0;
        for (int q : queryLens) numTokens += q;
        int[] queryStartLoc = new int[numSeqs + 1];
        for (int s = 0; s < numSeqs; s++) queryStartLoc[s + 1] = queryStartLoc[s] + queryLens[s];
        List<Integer> ids = new ArrayList<>();
        for (int b = 0; b < numBlocks; b++) ids.add(b);
        Collections.shuffle(ids, r);
        int maxNumBlocksPerSeq = (600 + blockSize - 1) / blockSize, next = 0;
        int[] blockTables = new int[numSeqs * maxNumBlocksPerSeq]; // [numSeqs, maxNumBlocksPerSeq]
        for (int s = 0; s < numSeqs; s++) {
            for (int i = 0; i < (seqLens[s] + blockSize - 1) / blockSize; i++) blockTables[s * maxNumBlocksPerSeq + i] = ids.get(next++);
        }
        int cacheElements = numBlocks * blockSize * numKvHeads * headSize;
        short[] keyCache = randomBf16(cacheElements, r), valueCache = randomBf16(cacheElements, r);
        float[] query = new float[numTokens * numHeads * headSize];
        for (int i = 0; i < query.length; i++) query[i] = (float) r.nextGaussian();
        float scale = (float) (1 / Math.sqrt(headSize));

        DeviceBuffer dK = upload(keyCache), dV = upload(valueCache), dQ = cuda.allocate(query.length * 4L);
        cuda.copyToDevice(dQ, query);
        int[] ints = concat(queryStartLoc, seqLens, blockTables);
        DeviceBuffer dInts = cuda.allocate(ints.length * 4L);
        cuda.copyToDevice(dInts, ints);
        DeviceBuffer dOut = cuda.allocate(query.length * 2L);
        cuda.zero(dOut);
        PagedAttention attention = new PagedAttention(cuda);
        attention.forward(dOut.address(), dQ.address(), dK.address(), dV.address(),
                dInts.address(), dInts.address() + 4L * (numSeqs + 1), dInts.address() + 4L * (2 * numSeqs + 1),
                maxNumBlocksPerSeq, numTokens, numSeqs, numHeads, numKvHeads, headSize, blockSize, scale);
        short[] out = new short[query.length];
        cuda.synchronize();
        cuda.copyToHost(out, dOut, 0);
        for (DeviceBuffer b : new DeviceBuffer[] {dK, dV, dQ, dInts, dOut}) cuda.free(b);

        double maxErr = 0;
        for (int s = 0; s < numSeqs; s++) {
            int contextLen = seqLens[s] - queryLens[s];
            for (int row = queryStartLoc[s]; row < queryStartLoc[s + 1]; row++) {
                int numVisible = contextLen + (row - queryStartLoc[s]) + 1;
                for (int h = 0; h < numHeads; h++) {
                    double[] expected = naiveAttention(query, keyCache, valueCache, row, h, numVisible, blockTables, s * maxNumBlocksPerSeq,
                            numHeads, numKvHeads, headSize, blockSize, scale);
                    for (int d = 0; d < headSize; d++) {
                        double actual = Bf16.toFloat(out[(row * numHeads + h) * headSize + d]);
                        maxErr = Math.max(maxErr, Math.abs(actual - expected[d]));
                    }
                }
            }
        }
        // Outputs are convex combinations of values of size ~1, rounded to bf16 (2^-9 relative).
        assertTrue(maxErr < 1e-2, "max |Δ| " + maxErr);
    }

    @ParameterizedTest(name = "{0} x {2} · [{1}, {2}]ᵀ")
    @CsvSource({"1, 256, 64", "7, 96, 160", "33, 1000, 128"})
    void cublasLinearMatchesNaive(int numRows, int outFeatures, int inFeatures) {
        cuda.makeCurrent();
        Random r = new Random(numRows);
        short[] x = randomBf16(numRows * inFeatures, r), w = randomBf16(outFeatures * inFeatures, r);
        DeviceBuffer dX = upload(x), dW = upload(w), dOut = cuda.allocate((long) numRows * outFeatures * 4);
        cublas.linear(dOut.address(), Cublas.CUDA_R_32F, dX.address(), dW.address(), numRows, outFeatures, inFeatures);
        float[] out = new float[numRows * outFeatures];
        cuda.synchronize();
        cuda.copyToHost(out, dOut, 0);
        for (DeviceBuffer b : new DeviceBuffer[] {dX, dW, dOut}) cuda.free(b);
        double maxErr = 0;
        for (int i = 0; i < numRows; i++) {
            for (int o = 0; o < outFeatures; o++) {
                double sum = 0;
                for (int k = 0; k < inFeatures; k++) sum += (double) Bf16.toFloat(x[i * inFeatures + k]) * Bf16.toFloat(w[o * inFeatures + k]);
                maxErr = Math.max(maxErr, Math.abs(out[i * outFeatures + o] - sum));
            }
        }
        // Exact bf16 products, fp32 sums of ~inFeatures terms of size ~1: far under 1e-3.
        assertTrue(maxErr < 1e-3, "max |Δ| " + maxErr);
    }

    @ParameterizedTest(name = "gemv {0} x {2} · [{1}, {2}]ᵀ")
    @CsvSource({"1, 256, 64", "3, 97, 896", "8, 1000, 128", "5, 33, 4864"})
    void gemvMatchesNaive(int numRows, int outFeatures, int inFeatures) {
        cuda.makeCurrent();
        Random r = new Random(numRows * 13L + outFeatures);
        short[] x = randomBf16(numRows * inFeatures, r), w = randomBf16(outFeatures * inFeatures, r);
        DeviceBuffer dX = upload(x), dW = upload(w), dOut = cuda.allocate((long) numRows * outFeatures * 4);
        new Gemv(cuda).linear(dOut.address(), dX.address(), dW.address(), numRows, outFeatures, inFeatures);
        float[] out = new float[numRows * outFeatures];
        cuda.synchronize();
        cuda.copyToHost(out, dOut, 0);
        for (DeviceBuffer b : new DeviceBuffer[] {dX, dW, dOut}) cuda.free(b);
        double maxErr = 0;
        for (int i = 0; i < numRows; i++) {
            for (int o = 0; o < outFeatures; o++) {
                double sum = 0;
                for (int k = 0; k < inFeatures; k++) sum += (double) Bf16.toFloat(x[i * inFeatures + k]) * Bf16.toFloat(w[o * inFeatures + k]);
                maxErr = Math.max(maxErr, Math.abs(out[i * outFeatures + o] - sum) / Math.sqrt(inFeatures));
            }
        }
        // Exact bf16 products, fp32 sums: error ~ 1e-7 * sqrt(inFeatures) per unit of |sum| (sums grow like sqrt(inFeatures)).
        assertTrue(maxErr < 1e-4, "max |Δ| / sqrt(inFeatures) " + maxErr);
    }

    /** One (row, head) of attention, the textbook way: scores, softmax, weighted sum, in double. */
    static double[] naiveAttention(float[] query, short[] keyCache, short[] valueCache, int row, int head, int numVisible,
                                   int[] blockTables, int tableOffset, int numHeads, int numKvHeads, int headSize, int blockSize, float scale) {
        int kvHead = head / (numHeads / numKvHeads);
        double[] scores = new double[numVisible];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < numVisible; j++) {
            int slot = blockTables[tableOffset + j / blockSize] * blockSize + j % blockSize;
            double dot = 0;
            for (int d = 0; d < headSize; d++) {
                dot += query[(row * numHeads + head) * headSize + d] * Bf16.toFloat(keyCache[(slot * numKvHeads + kvHead) * headSize + d]);
            }
            scores[j] = dot * scale;
            max = Math.max(max, scores[j]);
        }
        double sum = 0;
        for (int j = 0; j < numVisible; j++) sum += scores[j] = Math.exp(scores[j] - max);
        double[] out = new double[headSize];
        for (int j = 0; j < numVisible; j++) {
            int slot = blockTables[tableOffset + j / blockSize] * blockSize + j % blockSize;
            for (int d = 0; d < headSize; d++) out[d] += scores[j] / sum * Bf16.toFloat(valueCache[(slot * numKvHeads + kvHead) * headSize + d]);
        }
        return out;
    }

    static short[] randomBf16(int n, Random r) {
        short[] v = new short[n];
        for (int i = 0; i < n; i++) v[i] = Bf16.fromFloat((float) r.nextGaussian());
        return v;
    }

    static DeviceBuffer upload(short[] values) {
        DeviceBuffer b = cuda.allocate(values.length * 2L);
        cuda.copyToDevice(b, 0, Pointer.to(values), values.length * 2L);
        return b;
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
