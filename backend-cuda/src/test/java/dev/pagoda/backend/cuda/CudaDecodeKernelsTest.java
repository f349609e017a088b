package dev.pagoda.backend.cuda;

import static dev.pagoda.backend.cuda.CudaKernelsTest.concat;
import static dev.pagoda.backend.cuda.CudaKernelsTest.naiveAttention;
import static dev.pagoda.backend.cuda.CudaKernelsTest.randomBf16;
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
 * The decode path's kernels against naive Java oracles (double precision) on random inputs: the
 * split decode attention (PagedAttentionDecodeMma.cu on tensor cores where it applies, and
 * PagedAttentionDecode.cu) over random non-contiguous block tables, also against the one-pass kernel, and the fused Gemv.cu kernels (RMSNorm before, residual add or
 * SiLU-and-mul after). Every output is poisoned (NaN) before the launch, so an unwritten element fails.
 */
@Tag("gpu")
class CudaDecodeKernelsTest {
    static CudaContext cuda;

    @BeforeAll
    static void open() {
        cuda = new CudaContext();
    }

    @AfterAll
    static void close() {
        if (cuda != null) cuda.close();
    }

    @ParameterizedTest(name = "headSize {0}, heads {1}/{2}, blockSize {3}")
    @CsvSource({"64, 2, 2, 8", "64, 8, 2, 16", "64, 16, 2, 32", "128, 4, 4, 32", "128, 16, 4, 8", "128, 32, 4, 16",
            "64, 14, 2, 16", "128, 12, 2, 16", "32, 4, 1, 8"})
    void decodeAttentionMatchesNaiveAndOnePass(int headSize, int numHeads, int numKvHeads, int blockSize) {
        cuda.makeCurrent();
        Random r = new Random(headSize * 131L + numHeads * 17L + numKvHeads * 5L + blockSize);
        // Four decode rows: a first token, a short context, one of several tiles, one long enough to split.
        int[] seqLens = {1, 37, 600, 2000};
        int numSeqs = seqLens.length, maxLen = 2000;
        int maxNumBlocksPerSeq = (maxLen + blockSize - 1) / blockSize;
        int numBlocks = 0;
        for (int len : seqLens) numBlocks += (len + blockSize - 1) / blockSize;
        numBlocks += 7; // blocks nobody owns
        List<Integer> ids = new ArrayList<>();
        for (int b = 0; b < numBlocks; b++) ids.add(b);
        Collections.shuffle(ids, r);
        int[] blockTables = new int[numSeqs * maxNumBlocksPerSeq]; // [numSeqs, maxNumBlocksPerSeq]
        int next = 0;
        for (int s = 0; s < numSeqs; s++) {
            for (int i = 0; i < (seqLens[s] + blockSize - 1) / blockSize; i++) blockTables[s * maxNumBlocksPerSeq + i] = ids.get(next++);
        }
        int cacheElements = numBlocks * blockSize * numKvHeads * headSize;
        short[] keyCache = randomBf16(cacheElements, r), valueCache = randomBf16(cacheElements, r);
        float[] query = new float[numSeqs * numHeads * headSize]; // [numSeqs, numHeads, headSize]: one row per sequence
        for (int i = 0; i < query.length; i++) query[i] = (float) (2 * r.nextGaussian()); // sharper softmax than N(0, 1)
        float scale = (float) (1 / Math.sqrt(headSize));
        int[] queryStartLoc = {0, 1, 2, 3, 4};

        DeviceBuffer dK = CudaKernelsTest.upload(keyCache), dV = CudaKernelsTest.upload(valueCache), dQ = cuda.allocate(query.length * 4L);
        cuda.copyToDevice(dQ, query);
        int[] ints = concat(queryStartLoc, seqLens, blockTables);
        DeviceBuffer dInts = cuda.allocate(ints.length * 4L);
        cuda.copyToDevice(dInts, ints);
        long dQueryStartLoc = dInts.address(), dSeqLens = dQueryStartLoc + 4L * (numSeqs + 1), dBlockTables = dSeqLens + 4L * numSeqs;
        DeviceBuffer dOut = cuda.allocate(query.length * 2L);
        DeviceBuffer dPartials = cuda.allocate(4 * PagedAttention.partialFloats(numSeqs, PagedAttention.MAX_SPLITS, numHeads, headSize));
        PagedAttention attention = new PagedAttention(cuda); // tensor cores where usesTensorCores holds
        PagedAttention cudaCores = new PagedAttention(cuda, 4, 4, false); // PagedAttentionDecode.cu, the fallback

        short[] onePass = run(dOut, query.length, () -> attention.forward(dOut.address(), dQ.address(), dK.address(), dV.address(),
                dQueryStartLoc, dSeqLens, dBlockTables, maxNumBlocksPerSeq, numSeqs, numSeqs, numHeads, numKvHeads, headSize, blockSize, scale));
        double[][] expected = new double[numSeqs * numHeads][];
        for (int s = 0; s < numSeqs; s++) {
            for (int h = 0; h < numHeads; h++) {
                expected[s * numHeads + h] = naiveAttention(query, keyCache, valueCache, s, h, seqLens[s], blockTables, s * maxNumBlocksPerSeq,
                        numHeads, numKvHeads, headSize, blockSize, scale);
            }
        }
        for (int numSplits : new int[] {1, 2, 5, PagedAttention.MAX_SPLITS}) for (PagedAttention kernel : new PagedAttention[] {attention, cudaCores}) {
            String name = (kernel.usesTensorCores(numHeads, numKvHeads, headSize) ? "tensor cores, " : "CUDA cores, ") + numSplits + " splits";
            short[] out = run(dOut, query.length, () -> kernel.decode(dOut.address(), dPartials.address(), dQ.address(), dK.address(),
                    dV.address(), dSeqLens, dBlockTables, maxNumBlocksPerSeq, numSeqs, numHeads, numKvHeads, headSize, blockSize, numSplits, scale));
            double maxErr = 0, maxVsOnePass = 0;
            for (int i = 0; i < out.length; i++) {
                double actual = Bf16.toFloat(out[i]);
                maxErr = Math.max(maxErr, Math.abs(actual - expected[i / headSize][i % headSize]));
                maxVsOnePass = Math.max(maxVsOnePass, Math.abs(actual - Bf16.toFloat(onePass[i])));
            }
            // Convex combinations of values of size ~1, rounded to bf16 (2^-9 relative); NaN fails both.
            assertTrue(maxErr < 1e-2, name + ": max |Δ| vs naive " + maxErr);
            assertTrue(maxVsOnePass < 1e-2, name + ": max |Δ| vs one-pass " + maxVsOnePass);
        }
        for (DeviceBuffer b : new DeviceBuffer[] {dK, dV, dQ, dInts, dOut, dPartials}) cuda.free(b);
    }

    @ParameterizedTest(name = "{0} rows, [{1}, {2}]")
    @CsvSource({"1, 1152, 896", "3, 96, 4864", "8, 257, 64", "1, 40, 4096", "5, 1000, 128"})
    void fusedGemvKernelsMatchNaive(int numRows, int outFeatures, int inFeatures) {
        cuda.makeCurrent();
        Random r = new Random(numRows * 7919L + outFeatures * 31L + inFeatures);
        Gemv gemv = new Gemv(cuda);
        float eps = 1e-6f;
        int numTokens = numRows + 2;
        float[] hidden = new float[numTokens * inFeatures], normWeight = new float[inFeatures];
        for (int i = 0; i < hidden.length; i++) hidden[i] = (float) r.nextGaussian();
        for (int i = 0; i < inFeatures; i++) normWeight[i] = (float) (1 + 0.1 * r.nextGaussian());
        int[] rows = new int[numRows]; // [numRows] hidden rows, out of order
        for (int m = 0; m < numRows; m++) rows[m] = numTokens - 1 - m;
        short[] weight = randomBf16(2 * outFeatures * inFeatures, r); // [2 * outFeatures, inFeatures]: also gate | up
        short[] x = randomBf16(numRows * inFeatures, r);
        float[] residual = new float[numRows * outFeatures];
        for (int i = 0; i < residual.length; i++) residual[i] = (float) r.nextGaussian();

        DeviceBuffer dHidden = cuda.allocate(hidden.length * 4L), dNorm = cuda.allocate(inFeatures * 4L), dRows = cuda.allocate(numRows * 4L);
        cuda.copyToDevice(dHidden, hidden);
        cuda.copyToDevice(dNorm, normWeight);
        cuda.copyToDevice(dRows, rows);
        DeviceBuffer dW = CudaKernelsTest.upload(weight), dX = CudaKernelsTest.upload(x), dOut = cuda.allocate(numRows * outFeatures * 4L);

        // RMSNorm → bf16, as RmsNorm.cu rounds it: the oracle's input to each product.
        double[][] normed = new double[numRows][inFeatures];
        for (int m = 0; m < numRows; m++) {
            double ss = 0;
            for (int k = 0; k < inFeatures; k++) ss += (double) hidden[rows[m] * inFeatures + k] * hidden[rows[m] * inFeatures + k];
            float inverseRms = (float) (1 / Math.sqrt(ss / inFeatures + eps));
            for (int k = 0; k < inFeatures; k++) normed[m][k] = Bf16.toFloat(Bf16.fromFloat(normWeight[k] * (hidden[rows[m] * inFeatures + k] * inverseRms)));
        }

        // normLinear: out = normed · Wᵀ
        cuda.copyToDevice(dOut, poison(numRows * outFeatures));
        gemv.normLinear(dOut.address(), dHidden.address(), dNorm.address(), dRows.address(), dW.address(), numRows, outFeatures, inFeatures, eps);
        float[] out = download(dOut, numRows * outFeatures);
        double err = 0;
        for (int m = 0; m < numRows; m++) for (int n = 0; n < outFeatures; n++) err = Math.max(err, Math.abs(out[m * outFeatures + n] - dot(normed[m], weight, n, inFeatures)));
        assertTrue(err / Math.sqrt(inFeatures) < 1e-4, "normLinear: max |Δ| / sqrt(in) " + err / Math.sqrt(inFeatures));

        // linearAdd: residual += x · Wᵀ
        cuda.copyToDevice(dOut, residual);
        gemv.linearAdd(dOut.address(), dX.address(), dW.address(), numRows, outFeatures, inFeatures);
        out = download(dOut, numRows * outFeatures);
        err = 0;
        for (int m = 0; m < numRows; m++) {
            double[] xm = new double[inFeatures];
            for (int k = 0; k < inFeatures; k++) xm[k] = Bf16.toFloat(x[m * inFeatures + k]);
            for (int n = 0; n < outFeatures; n++) err = Math.max(err, Math.abs(out[m * outFeatures + n] - (residual[m * outFeatures + n] + dot(xm, weight, n, inFeatures))));
        }
        assertTrue(err / Math.sqrt(inFeatures) < 1e-4, "linearAdd: max |Δ| / sqrt(in) " + err / Math.sqrt(inFeatures));

        // normSiluMul over hidden rows 0 ..< numRows: act = silu(normed · Wgᵀ) * (normed · Wuᵀ), bf16
        for (int m = 0; m < numRows; m++) {
            double ss = 0;
            for (int k = 0; k < inFeatures; k++) ss += (double) hidden[m * inFeatures + k] * hidden[m * inFeatures + k];
            float inverseRms = (float) (1 / Math.sqrt(ss / inFeatures + eps));
            for (int k = 0; k < inFeatures; k++) normed[m][k] = Bf16.toFloat(Bf16.fromFloat(normWeight[k] * (hidden[m * inFeatures + k] * inverseRms)));
        }
        short[] nan = new short[numRows * outFeatures];
        java.util.Arrays.fill(nan, (short) 0x7fc0);
        cuda.copyToDevice(dOut, 0, Pointer.to(nan), nan.length * 2L);
        gemv.normSiluMul(dOut.address(), dHidden.address(), dNorm.address(), dW.address(), numRows, outFeatures, inFeatures, eps);
        short[] act = new short[numRows * outFeatures];
        cuda.synchronize();
        cuda.copyToHost(act, dOut, 0);
        err = 0;
        for (int m = 0; m < numRows; m++) {
            for (int n = 0; n < outFeatures; n++) {
                double g = dot(normed[m], weight, n, inFeatures), u = dot(normed[m], weight, outFeatures + n, inFeatures);
                double expected = g / (1 + Math.exp(-g)) * u;
                double actual = Bf16.toFloat(act[m * outFeatures + n]);
                err = Math.max(err, Math.abs(actual - expected) / (1 + Math.abs(expected)));
            }
        }
        // bf16 output: 2^-9 relative, plus fp32 sums.
        assertTrue(err < 1e-2, "normSiluMul: max |Δ| / (1 + |expected|) " + err);
        for (DeviceBuffer b : new DeviceBuffer[] {dHidden, dNorm, dRows, dW, dX, dOut}) cuda.free(b);
    }

    /** Poisons {@code out} with NaN, runs {@code launch}, returns out's {@code n} bf16 elements. */
    private static short[] run(DeviceBuffer out, int n, Runnable launch) {
        short[] nan = new short[n];
        java.util.Arrays.fill(nan, (short) 0x7fc0);
        cuda.copyToDevice(out, 0, Pointer.to(nan), n * 2L);
        launch.run();
        short[] result = new short[n];
        cuda.synchronize();
        cuda.copyToHost(result, out, 0);
        return result;
    }

    private static float[] poison(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, Float.NaN);
        return v;
    }

    private static float[] download(DeviceBuffer b, int n) {
        float[] v = new float[n];
        cuda.synchronize();
        cuda.copyToHost(v, b, 0);
        return v;
    }

    /** Σ_k x[k] · weight[row, k] in double. */
    private static double dot(double[] x, short[] weight, int row, int inFeatures) {
        double s = 0;
        for (int k = 0; k < inFeatures; k++) s += x[k] * Bf16.toFloat(weight[row * inFeatures + k]);
        return s;
    }
}
