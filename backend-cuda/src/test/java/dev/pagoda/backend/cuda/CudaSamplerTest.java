package dev.pagoda.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.sampling.LogprobsMode;
import dev.pagoda.engine.sampling.SampledTokens;
import dev.pagoda.engine.sampling.Sampler;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.SamplingRow;
import dev.pagoda.engine.sampling.TokenLogprobs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Sampling.cu against its oracle, the CPU {@link Sampler}, on the same logits, rows and uniforms:
 * greedy tokens (plain, with bias / min_tokens / penalties, ties) and logprobs (raw and processed:
 * token, rank, top ids equal; values within 1e-5), seeded stochastic tokens (temperature, min_p,
 * top_k, top_p) equal, and the distribution of unseeded draws against probabilities computed here
 * in double.
 */
@Tag("gpu")
class CudaSamplerTest {
    static final Set<Integer> EOS = Set.of(2);
    static CudaContext cuda;
    static CudaSampler sampler;

    @BeforeAll
    static void open() {
        cuda = new CudaContext();
        sampler = new CudaSampler(cuda, null);
    }

    @AfterAll
    static void close() {
        cuda.close();
    }

    /** {@code [numRows, vocabSize]} N(0, scale) logits; row r's best logit is duplicated at a higher id (a tie). */
    static Logits randomLogits(int numRows, int vocabSize, double scale, long seed) {
        Random r = new Random(seed);
        float[] v = new float[numRows * vocabSize];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * scale);
        for (int row = 0; row < numRows; row++) {
            int best = 0;
            for (int i = 1; i < vocabSize; i++) if (v[row * vocabSize + i] > v[row * vocabSize + best]) best = i;
            v[row * vocabSize + Math.min(vocabSize - 1, best + 7)] = v[row * vocabSize + best];
        }
        return new Logits(numRows, vocabSize, v);
    }

    static int[] ids(int n, int vocabSize, long seed) {
        Random r = new Random(seed);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = r.nextInt(vocabSize);
        return out;
    }

    @Test
    void greedyAndLogprobsEqualTheCpuSampler() {
        int vocab = 32000;
        int[] prompt = ids(40, vocab, 1), output = ids(25, vocab, 2);
        List<SamplingParams> params = List.of(
                SamplingParams.builder().temperature(0).build(),
                SamplingParams.builder().temperature(0).logprobs(5).build(),
                SamplingParams.builder().temperature(0).logprobs(20).logprobsMode(LogprobsMode.PROCESSED_LOGPROBS)
                        .repetitionPenalty(1.3).frequencyPenalty(0.5).presencePenalty(0.25).build(),
                SamplingParams.builder().temperature(0).logitBias(Map.of(17, 30, 999, -100)).logprobs(3).logprobsMode(LogprobsMode.RAW_LOGITS).build(),
                SamplingParams.builder().temperature(0).minTokens(40).stopTokenIds(5, 6).logprobs(0).logprobsMode(LogprobsMode.PROCESSED_LOGITS).build(),
                SamplingParams.builder().temperature(0).repetitionPenalty(0.7).build());
        List<SamplingRow> rows = new ArrayList<>();
        for (SamplingParams p : params) rows.add(new SamplingRow(p, prompt, output));
        Logits logits = randomLogits(rows.size(), vocab, 3.0, 11);
        compare(logits, rows, new double[rows.size()], true);
    }

    @Test
    void seededSamplingPicksTheCpuSamplersTokens() {
        int vocab = 50000;
        int[] prompt = ids(30, vocab, 3);
        List<SamplingRow> rows = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            SamplingParams.Builder b = SamplingParams.builder().temperature(0.5 + 0.05 * (i % 10)).seed(1000 + i);
            switch (i % 6) {
                case 1 -> b.topK(40);
                case 2 -> b.topP(0.9);
                case 3 -> b.minP(0.05);
                case 4 -> b.topK(300).topP(0.8).minP(0.01).repetitionPenalty(1.2).frequencyPenalty(0.3).presencePenalty(0.1);
                case 5 -> b.topK(1000).logprobs(4).logitBias(Map.of(3, 5.0));
                default -> { }
            }
            rows.add(new SamplingRow(b.build(), prompt, ids(i, vocab, 100 + i)));
        }
        Logits logits = randomLogits(rows.size(), vocab, 2.5, 12);
        double[] uniforms = new Sampler(EOS, 0).drawUniforms(rows);
        compare(logits, rows, uniforms, false);
    }

    /** The device's tokens equal the CPU's; logprobs: same token, rank and top ids, values within 1e-5. */
    private static void compare(Logits logits, List<SamplingRow> rows, double[] uniforms, boolean greedy) {
        Sampler cpu = new Sampler(EOS, 0);
        SampledTokens expected = cpu.sample(logits, rows, uniforms);
        SampledTokens actual = sampler.sample(logits, rows, uniforms, EOS);
        assertArrayEquals(expected.tokenIds(), actual.tokenIds(), (greedy ? "greedy" : "seeded") + " tokens differ from the CPU Sampler's");
        for (int r = 0; r < rows.size(); r++) {
            TokenLogprobs e = expected.logprobs()[r], a = actual.logprobs()[r];
            if (e == null) {
                assertNull(a, "row " + r + " asked for no logprobs");
                continue;
            }
            String where = "row " + r + " (" + rows.get(r).params().logprobsMode() + ")";
            assertEquals(e.tokenId(), a.tokenId(), where);
            assertEquals(e.rank(), a.rank(), where + " rank");
            assertArrayEquals(e.topTokenIds(), a.topTokenIds(), where + " top ids");
            assertEquals(e.logprob(), a.logprob(), 1e-5 * Math.max(1, Math.abs(e.logprob())), where + " logprob");
            for (int j = 0; j < e.numTop(); j++) {
                assertEquals(e.topLogprobs()[j], a.topLogprobs()[j], 1e-5 * Math.max(1, Math.abs(e.topLogprobs()[j])), where + " top " + j);
            }
        }
    }

    @Test
    void unseededDrawsFollowTheProcessedDistribution() {
        int vocab = 64, draws = 20000;
        float[] row = randomLogits(1, vocab, 1.5, 13).values();
        SamplingParams p = SamplingParams.builder().temperature(0.8).topK(20).topP(0.9).build();
        double[] expected = expectedProbabilities(row, 0.8, 20, 0.9);
        float[] values = new float[draws * vocab];
        List<SamplingRow> rows = new ArrayList<>();
        for (int d = 0; d < draws; d++) {
            System.arraycopy(row, 0, values, d * vocab, vocab);
            rows.add(new SamplingRow(p, new int[0], new int[0]));
        }
        double[] uniforms = new double[draws];
        SplittableRandom random = new SplittableRandom(99);
        for (int d = 0; d < draws; d++) uniforms[d] = random.nextDouble();
        int[] tokens = sampler.sample(new Logits(draws, vocab, values), rows, uniforms, EOS).tokenIds();
        int[] counts = new int[vocab];
        for (int t : tokens) counts[t]++;
        for (int v = 0; v < vocab; v++) {
            double f = counts[v] / (double) draws, sigma = Math.sqrt(expected[v] * (1 - expected[v]) / draws);
            assertTrue(Math.abs(f - expected[v]) <= 5 * sigma + 1e-4,
                    "token " + v + ": drawn " + f + ", expected " + expected[v] + " (5 sigma = " + 5 * sigma + ")");
        }
    }

    /** softmax(x / t) restricted to the top k, then to the smallest top set whose mass reaches p, renormalized. */
    static double[] expectedProbabilities(float[] x, double t, int k, double topP) {
        int n = x.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Float.compare(x[b], x[a]));
        double max = x[order[0]] / t, sum = 0;
        double[] w = new double[n];
        for (int j = 0; j < k; j++) sum += w[order[j]] = Math.exp(x[order[j]] / t - max);
        double mass = 0, kept = 0;
        double[] p = new double[n];
        for (int j = 0; j < k && mass < topP * sum; j++) {
            mass += w[order[j]];
            p[order[j]] = w[order[j]];
            kept += w[order[j]];
        }
        for (int i = 0; i < n; i++) p[i] /= kept;
        return p;
    }
}
