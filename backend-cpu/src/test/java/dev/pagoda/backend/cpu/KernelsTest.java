package dev.pagoda.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.RopeScaling;
import dev.pagoda.engine.model.RotaryEmbedding;
import dev.pagoda.engine.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Dot} and {@link VectorOps} against {@link NaiveOps}, on sizes with and without vector tails. */
class KernelsTest {
    private static final int[] SIZES = {1, 3, 8, 15, 16, 17, 31, 63, 64, 65, 100, 129, 896, 1001};

    private static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextDouble(-2, 2);
        return v;
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        double err = NaiveOps.relativeError(actual, expected);
        assertTrue(err <= tolerance, what + ": relative error " + err + " > " + tolerance);
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "BF16", "F16"})
    void dotOfEveryDtypeMatchesNaiveAndIsBitIdenticalToTheWidenedRow(String dtypeName) {
        DType dtype = DType.valueOf(dtypeName);
        SplittableRandom rnd = new SplittableRandom(1);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : SIZES) {
                float[] x = random(rnd, n + 5);
                Tensor w = RandomModels.tensor("w", dtype, new long[] {2, n}, random(rnd, 2 * n), arena);
                float[] row = new float[n];
                for (int k = 0; k < n; k++) row[k] = NaiveOps.get(w, n + k);
                float expected = NaiveOps.dot(x, 5, row, 0, n);
                float fused = Dot.dot(x, 5, w.data(), n, dtype, n); // row 1, from x[5]
                assertEquals(expected, fused, 1e-5 * Math.max(1, Math.abs(expected)) * Math.sqrt(n), dtype + " n=" + n);

                float[] widened = new float[n + 3];
                Dot.widen(w.data(), n, dtype, widened, 3, n);
                for (int k = 0; k < n; k++) assertEquals(row[k], widened[3 + k], "widen " + dtype + " n=" + n + " k=" + k);
                assertEquals(Float.floatToRawIntBits(fused), Float.floatToRawIntBits(Dot.dot(x, 5, widened, 3, n)),
                        "fused and widen-then-dot must round alike, " + dtype + " n=" + n);
            }
        }
    }

    @Test
    void bf16KernelsFollowThePairOrderBitForBitInEveryTileShape() {
        SplittableRandom rnd = new SplittableRandom(7);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            for (int in : new int[] {1, 17, 31, 32, 33, 64, 77, 100, 896}) {
                int outF = 11; // two full tiles of 4 and a ragged end of 3
                Tensor w = RandomModels.tensor("w", DType.BF16, new long[] {outF, in}, random(rnd, outF * in), arena);
                float[] bias = random(rnd, outF);
                float[][] rowsOfW = new float[outF][in];
                for (int j = 0; j < outF; j++) for (int k = 0; k < in; k++) rowsOfW[j][k] = NaiveOps.get(w, (long) j * in + k);
                for (int rows : new int[] {1, 2, 3, 9}) { // dot only, 2x4 tiles only, 2x4 and 1x4 tiles
                    float[] x = random(rnd, rows * in);
                    float[] out = new float[rows * outF];
                    MatMul.forward(pool, x, rows, new Linear[] {Linear.of(w, bias, outF, in)}, new float[][] {out}, new float[2][]);
                    float[] xp = new float[rows * in];
                    for (int r = 0; r < rows; r++) Bf16MatMulKernel.splitPairs(x, r * in, xp, r * in, in);
                    for (int r = 0; r < rows; r++) {
                        for (int j = 0; j < outF; j++) {
                            float expected = NaiveOps.dotBf16PairOrder(x, r * in, rowsOfW[j], in, Dot.L) + bias[j];
                            String where = "in=" + in + " rows=" + rows + " r=" + r + " j=" + j;
                            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(out[r * outF + j]), where);
                            float single = Bf16MatMulKernel.dot(xp, r * in, w.data(), 2L * j * in, in) + bias[j];
                            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(single), "dot " + where);
                        }
                    }
                }
            }
        }
    }

    @Test
    void f16WideningIsExactForAll65536BitPatterns() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(65536 * 2L);
            for (int b = 0; b < 65536; b++) seg.setAtIndex(RandomModels.S16_LE, b, (short) b);
            float[] out = new float[65536];
            Dot.widen(seg, 0, DType.F16, out, 0, 65536);
            for (int b = 0; b < 65536; b++) {
                float expected = Float.float16ToFloat((short) b);
                if (Float.isNaN(expected)) assertTrue(Float.isNaN(out[b]), "NaN pattern " + Integer.toHexString(b));
                else assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(out[b]), "f16 bits " + Integer.toHexString(b));
            }
        }
    }

    @Test
    void rmsNormMatchesNaive() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (int n : SIZES) {
            float[] x = random(rnd, n), w = random(rnd, n);
            float[] expected = new float[n], actual = new float[n];
            NaiveOps.rmsNorm(expected, 0, x, 0, w, n, 1e-6f);
            VectorOps.rmsNorm(actual, 0, x, 0, w, n, 1e-6f);
            assertClose(expected, actual, 1e-6, "rmsNorm n=" + n);
        }
    }

    @Test
    void rotaryEmbeddingMatchesNaive() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int headSize : new int[] {2, 6, 16, 32, 34, 64, 128}) {
            for (int position : new int[] {0, 1, 7, 1000, 100_000}) {
                int numHeads = 3, half = headSize / 2;
                float[] invFreq = RotaryEmbedding.inverseFrequencies(headSize, 10000.0, new RopeScaling.None());
                float[] cos = new float[half + 1], sin = new float[half + 1];
                for (int i = 0; i < half; i++) {
                    cos[1 + i] = (float) Math.cos(invFreq[i] * (float) position);
                    sin[1 + i] = (float) Math.sin(invFreq[i] * (float) position);
                }
                float[] x = random(rnd, 2 + numHeads * headSize);
                float[] expected = x.clone();
                NaiveOps.rotaryEmbedding(expected, 2, numHeads, headSize, invFreq, position);
                VectorOps.rotaryEmbedding(x, 2, numHeads, headSize, cos, sin, 1);
                assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(x), "same formula, same rounding: headSize " + headSize);
            }
        }
    }

    @Test
    void siluAndMulSoftmaxAndAddMatchNaive() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int n : SIZES) {
            float[] gate = random(rnd, n), up = random(rnd, n);
            float[] expected = new float[n], actual = new float[n + 1];
            NaiveOps.siluAndMul(expected, gate, up, n);
            VectorOps.siluAndMul(actual, 1, gate, 0, up, 0, n);
            assertClose(expected, java.util.Arrays.copyOfRange(actual, 1, n + 1), 1e-6, "silu n=" + n);

            float[] s = random(rnd, n + 2);
            float[] sExpected = s.clone();
            NaiveOps.softmax(sExpected, 2, n);
            VectorOps.softmax(s, 2, n);
            assertClose(sExpected, s, 1e-6, "softmax n=" + n);

            float[] a = random(rnd, n), b = random(rnd, n);
            float[] aExpected = a.clone();
            NaiveOps.add(aExpected, b, n);
            VectorOps.add(a, 0, b, 0, n);
            assertClose(aExpected, a, 0, "add n=" + n);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void matMulOverSeveralLayersMatchesNaiveForAnyThreadCount(int numThreads) {
        SplittableRandom rnd = new SplittableRandom(5);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(numThreads)) {
            for (DType dtype : DType.values()) {
                for (int rows : new int[] {1, 2, 5}) {
                    int in = 77;
                    Tensor w1 = RandomModels.tensor("a", dtype, new long[] {40, in}, random(rnd, 40 * in), arena);
                    Tensor w2 = RandomModels.tensor("b", dtype, new long[] {19, in}, random(rnd, 19 * in), arena);
                    float[] bias = random(rnd, 19);
                    float[] x = random(rnd, rows * in);
                    float[] out1 = new float[rows * 40], out2 = new float[rows * 19];
                    MatMul.forward(pool, x, rows, new Linear[] {Linear.of(w1, null, 40, in), Linear.of(w2, bias, 19, in)},
                            new float[][] {out1, out2}, new float[numThreads][]);
                    assertClose(NaiveOps.matmul(x, rows, w1, null), out1, 1e-5, dtype + " rows=" + rows);
                    assertClose(NaiveOps.matmul(x, rows, w2, bias), out2, 1e-5, dtype + " rows=" + rows + " (bias)");
                }
            }
        }
    }
}
