package dev.pagoda.engine.sampling;

import static dev.pagoda.engine.sampling.SamplerTestSupport.NONE;
import static dev.pagoda.engine.sampling.SamplerTestSupport.histogram;
import static dev.pagoda.engine.sampling.SamplerTestSupport.logOf;
import static dev.pagoda.engine.sampling.SamplerTestSupport.logits;
import static dev.pagoda.engine.sampling.SamplerTestSupport.sampleOnce;
import static dev.pagoda.engine.sampling.SamplerTestSupport.softmax;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.backend.Logits;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Each sampling parameter changes the outcome in a crafted case; statistical checks use fixed seeds
 * and tolerances of about 5 standard deviations of the binomial estimate.
 */
class SamplerTest {
    private static final int DRAWS = 20_000;
    private static final double TOLERANCE = 0.02; // 5σ of a frequency near 0.5 over 20k draws is 0.018

    private final Sampler sampler = new Sampler(List.of(), 1);

    @Test
    void greedyIsExactlyTheArgmaxOfTheRawLogits() {
        Random random = new Random(5);
        float[][] rows = new float[64][1000];
        for (float[] row : rows) for (int i = 0; i < row.length; i++) row[i] = (float) random.nextGaussian();
        rows[3][10] = rows[3][20] = 50f; // a tie: the lower id wins
        Logits logits = logits(rows);
        List<SamplingRow> seqs = new ArrayList<>();
        for (int r = 0; r < rows.length; r++) seqs.add(new SamplingRow(SamplingParams.builder().temperature(0).build(), NONE, NONE));
        int[] tokens = sampler.sample(logits, seqs).tokenIds();
        for (int r = 0; r < rows.length; r++) assertEquals(logits.argmax(r), tokens[r], "row " + r);
        assertEquals(10, tokens[3]);
    }

    @Test
    void temperatureShapesTheDistribution() {
        float[] row = {1f, 0f, -1f, -2f};
        for (double t : new double[] {0.5, 1.0, 1.5}) {
            int[] counts = histogram(row, SamplingParams.builder().temperature(t).build(), DRAWS, 11);
            double[] expected = softmax(row, t);
            for (int i = 0; i < row.length; i++) {
                assertEquals(expected[i], counts[i] / (double) DRAWS, TOLERANCE, "temperature " + t + ", token " + i);
            }
        }
        // The three expected head probabilities (0.87, 0.64, 0.54) are far apart compared with the tolerance.
        assertTrue(softmax(row, 0.5)[0] - softmax(row, 1.0)[0] > 10 * TOLERANCE);
    }

    @Test
    void topKKeepsTheKBest() {
        float[] row = {3f, 2.9f, 2.8f, 2.7f, 0f};
        assertEquals(0, sampleOnce(sampler, row, SamplingParams.builder().topK(1).seed(3).build(), NONE, NONE));
        int[] counts = histogram(row, SamplingParams.builder().topK(2).build(), DRAWS, 2);
        assertEquals(0, counts[2] + counts[3] + counts[4], "tokens beyond the top 2 were drawn");
        double p0 = 1 / (1 + Math.exp(-0.1)); // renormalized over the two kept tokens
        assertEquals(p0, counts[0] / (double) DRAWS, TOLERANCE);
        for (int i = 0; i < 200; i++) {
            assertEquals(0, sampleOnce(sampler, row, SamplingParams.builder().topK(1).build(), NONE, NONE));
        }
    }

    @Test
    void topPKeepsTheNucleus() {
        float[] row = logOf(0.5, 0.3, 0.2);
        int[] counts = histogram(row, SamplingParams.builder().topP(0.6).build(), DRAWS, 3);
        assertEquals(0, counts[2], "token outside the 0.6 nucleus was drawn");
        assertEquals(0.5 / 0.8, counts[0] / (double) DRAWS, TOLERANCE);
        int[] tight = histogram(row, SamplingParams.builder().topP(0.45).build(), 2_000, 4);
        assertEquals(2_000, tight[0], "top_p below the best token's mass must leave only the argmax");
        int[] tiny = histogram(row, SamplingParams.builder().topP(1e-6).build(), 2_000, 5);
        assertEquals(2_000, tiny[0]);
    }

    @Test
    void topPOnALargeVocabularyMatchesASortedReference() {
        Random random = new Random(9);
        float[] row = new float[5000];
        for (int i = 0; i < row.length; i++) row[i] = (float) (2 * random.nextGaussian());
        double topP = 0.9;
        // Reference nucleus: sort descending, keep while the mass before a token is below p.
        double[] probs = softmax(row, 1.0);
        Integer[] order = new Integer[row.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Double.compare(probs[b], probs[a]));
        boolean[] inNucleus = new boolean[row.length];
        double before = 0;
        for (int id : order) {
            if (before >= topP) break;
            inNucleus[id] = true;
            before += probs[id];
        }
        float[] work = row.clone();
        float[] weights = new float[work.length];
        LogitsProcessors.weights(work, work.length, weights, new int[work.length]);
        LogitsProcessors.applyTopP(work, weights, work.length, topP, new TopPCutoff());
        for (int i = 0; i < row.length; i++) {
            assertEquals(inNucleus[i], work[i] != Float.NEGATIVE_INFINITY, "token " + i + " (p=" + probs[i] + ")");
        }
    }

    @Test
    void minPDropsUnlikelyTokens() {
        float[] row = logOf(0.5, 0.3, 0.2);
        int[] counts = histogram(row, SamplingParams.builder().minP(0.5).build(), DRAWS, 6);
        assertEquals(0, counts[2], "0.2 < 0.5 × 0.5 must be masked");
        assertEquals(0.5 / 0.8, counts[0] / (double) DRAWS, TOLERANCE);
        int[] none = histogram(row, SamplingParams.defaults(), DRAWS, 6);
        assertEquals(0.2, none[2] / (double) DRAWS, TOLERANCE, "without min_p token 2 keeps its 0.2");
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        SamplingParams greedy = SamplingParams.builder().temperature(0).repetitionPenalty(1.2).build();
        float[] positive = {2.0f, 1.9f, 0f};
        assertEquals(0, sampleOnce(sampler, positive, SamplingParams.builder().temperature(0).build(), new int[] {0}, NONE));
        assertEquals(1, sampleOnce(sampler, positive, greedy, new int[] {0}, NONE), "prompt token 0: 2.0 / 1.2 < 1.9");
        assertEquals(1, sampleOnce(sampler, positive, greedy, NONE, new int[] {0}), "output token 0: 2.0 / 1.2 < 1.9");
        float[] negative = {-1.0f, -1.1f, -5f};
        assertEquals(1, sampleOnce(sampler, negative, greedy, new int[] {0, 0, 0}, NONE), "-1.0 × 1.2 < -1.1, applied once");
        // Below 1 it rewards repeats.
        float[] low = {1.9f, 2.0f};
        assertEquals(0, sampleOnce(sampler, low, SamplingParams.builder().temperature(0).repetitionPenalty(0.9).build(), new int[] {0}, NONE));
    }

    @Test
    void presenceAndFrequencyPenaltiesCountOutputTokensOnly() {
        float[] row = {1.0f, 0.5f, 0f};
        SamplingParams presence = SamplingParams.builder().temperature(0).presencePenalty(1.0).build();
        assertEquals(1, sampleOnce(sampler, row, presence, NONE, new int[] {0}));
        assertEquals(0, sampleOnce(sampler, row, presence, new int[] {0}, NONE), "prompt tokens are not penalized by presence");
        SamplingParams frequency = SamplingParams.builder().temperature(0).frequencyPenalty(0.2).build();
        assertEquals(0, sampleOnce(sampler, row, frequency, NONE, new int[] {0}), "1.0 - 0.2 > 0.5");
        assertEquals(1, sampleOnce(sampler, row, frequency, NONE, new int[] {0, 2, 0, 0}), "1.0 - 3 × 0.2 < 0.5");
        assertEquals(0, sampleOnce(sampler, row, frequency, new int[] {0, 0, 0}, NONE), "prompt tokens are not counted");
        // Negative values encourage repeats.
        assertEquals(2, sampleOnce(sampler, row, SamplingParams.builder().temperature(0).presencePenalty(-2).build(), NONE, new int[] {2}));
    }

    @Test
    void logitBiasForcesAndBansTokens() {
        float[] row = {5f, 1f, 0f, -3f};
        assertEquals(3, sampleOnce(sampler, row, SamplingParams.builder().temperature(0).logitBias(Map.of(3, 100)).build(), NONE, NONE));
        assertEquals(1, sampleOnce(sampler, row, SamplingParams.builder().temperature(0).logitBias(Map.of(0, -100)).build(), NONE, NONE));
        int[] counts = histogram(row, SamplingParams.builder().logitBias(Map.of(2, 100)).build(), 2_000, 7);
        assertEquals(2_000, counts[2], "a +100 bias dominates random sampling too");
    }

    @Test
    void minTokensMasksEosAndStopTokens() {
        int eos = 0, stop = 1;
        Sampler withEos = new Sampler(List.of(eos), 1);
        float[] row = {9f, 8f, 1f, 0f};
        SamplingParams p = SamplingParams.builder().temperature(0).minTokens(2).stopTokenIds(stop).build();
        assertEquals(2, sampleOnce(withEos, row, p, NONE, NONE), "EOS and the stop token are masked at output 0");
        assertEquals(2, sampleOnce(withEos, row, p, NONE, new int[] {3}), "and at output 1");
        assertEquals(eos, sampleOnce(withEos, row, p, NONE, new int[] {3, 3}), "free once 2 tokens exist");
        SamplingParams ignoreEos = SamplingParams.builder().temperature(0).minTokens(1).ignoreEos(true).build();
        assertEquals(1, sampleOnce(withEos, row, ignoreEos, NONE, NONE), "EOS stays masked with ignore_eos, as vLLM");
        int[] counts = histogram(row, SamplingParams.builder().minTokens(5).stopTokenIds(0, 1).build(), 2_000, 8);
        assertEquals(0, counts[0] + counts[1]);
    }

    @Test
    void badInputIsNamed() {
        Logits one = logits(new float[] {1f, 2f});
        assertThrows(IllegalArgumentException.class, () -> sampler.sample(one, List.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sampler.sample(one,
                List.of(new SamplingRow(SamplingParams.builder().presencePenalty(1).build(), NONE, new int[] {7}))));
        assertEquals("output token 7 is outside the vocabulary [0, 2)", e.getMessage());
    }
}
