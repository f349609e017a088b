package dev.pagoda.engine.sampling;

import static dev.pagoda.engine.sampling.SamplerTestSupport.NONE;
import static dev.pagoda.engine.sampling.SamplerTestSupport.logits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagoda.engine.backend.Logits;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Logprob values against a direct double-precision log-softmax; raw vs processed; prompt logprobs. */
class LogprobsTest {
    private static final double EPS = 1e-5;

    /** log_softmax(x / temperature) in double, masked entries (-Infinity) excluded from the sum. */
    private static double[] logSoftmax(float[] x, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) max = Math.max(max, v / temperature);
        double sum = 0;
        for (float v : x) sum += Math.exp(v / temperature - max);
        double lse = max + Math.log(sum);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] / temperature - lse;
        return out;
    }

    private static float[] randomRow(long seed, int vocab) {
        Random r = new Random(seed);
        float[] row = new float[vocab];
        for (int i = 0; i < vocab; i++) row[i] = (float) (3 * r.nextGaussian());
        return row;
    }

    @Test
    void rawLogprobsAreTheLogSoftmaxOfTheModelLogits() {
        float[] row = randomRow(1, 2000);
        SamplingParams p = SamplingParams.builder().temperature(0.7).topK(5).logprobs(5).seed(1).build();
        TokenLogprobs lp = new Sampler(List.of(), 0).sample(logits(row), List.of(new SamplingRow(p, NONE, NONE))).logprobs()[0];
        double[] expected = logSoftmax(row, 1.0);
        assertEquals(expected[lp.tokenId()], lp.logprob(), EPS);
        Integer[] order = new Integer[row.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Float.compare(row[b], row[a]));
        assertEquals(5, lp.numTop());
        for (int j = 0; j < 5; j++) {
            assertEquals(order[j], lp.topTokenIds()[j]);
            assertEquals(expected[order[j]], lp.topLogprobs()[j], EPS);
        }
        int rank = 1 + java.util.Arrays.asList(order).indexOf(lp.tokenId());
        assertEquals(rank, lp.rank());
    }

    @Test
    void processedLogprobsAreTakenAfterTemperatureAndFilters() {
        float[] row = {2f, 1f, 0.5f, 0f, -1f};
        double temperature = 0.5;
        SamplingParams p = SamplingParams.builder().temperature(temperature).topK(3).logprobs(5).seed(2)
                .logprobsMode(LogprobsMode.PROCESSED_LOGPROBS).build();
        TokenLogprobs lp = new Sampler(List.of(), 0).sample(logits(row), List.of(new SamplingRow(p, NONE, NONE))).logprobs()[0];
        double[] expected = logSoftmax(new float[] {2f, 1f, 0.5f}, temperature); // over the 3 kept tokens
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, lp.topTokenIds());
        for (int j = 0; j < 3; j++) assertEquals(expected[j], lp.topLogprobs()[j], EPS, "kept token " + j);
        assertEquals(Float.NEGATIVE_INFINITY, lp.topLogprobs()[3], "removed by top_k");
        assertEquals(Float.NEGATIVE_INFINITY, lp.topLogprobs()[4]);

        TokenLogprobs raw = new Sampler(List.of(), 0).sample(logits(row),
                List.of(new SamplingRow(p.toBuilder().logprobsMode(LogprobsMode.RAW_LOGPROBS).build(), NONE, NONE))).logprobs()[0];
        assertEquals(lp.tokenId(), raw.tokenId(), "the mode changes the report, not the draw");
        double[] rawExpected = logSoftmax(row, 1.0);
        for (int j = 0; j < 5; j++) assertEquals(rawExpected[j], raw.topLogprobs()[j], EPS);
    }

    @Test
    void processedLogprobsOfGreedyRowsIncludePenaltiesButNoTemperature() {
        float[] row = {2f, 1.9f, 0f};
        SamplingParams p = SamplingParams.builder().temperature(0).repetitionPenalty(2).logprobs(1)
                .logprobsMode(LogprobsMode.PROCESSED_LOGPROBS).build();
        TokenLogprobs lp = new Sampler(List.of(), 0).sample(logits(row), List.of(new SamplingRow(p, new int[] {0}, NONE))).logprobs()[0];
        double[] expected = logSoftmax(new float[] {1f, 1.9f, 0f}, 1.0);
        assertEquals(1, lp.tokenId());
        assertEquals(expected[1], lp.logprob(), EPS);
        assertEquals(1, lp.numTop());
        assertEquals(1, lp.topTokenIds()[0]);
        assertEquals(1, lp.rank());
    }

    @Test
    void logitsModesReportScoresNotProbabilities() {
        float[] row = {2f, 1f, 0.5f};
        SamplingParams raw = SamplingParams.builder().temperature(0).logprobs(2).logprobsMode(LogprobsMode.RAW_LOGITS).build();
        TokenLogprobs lp = new Sampler(List.of(), 0).sample(logits(row), List.of(new SamplingRow(raw, NONE, NONE))).logprobs()[0];
        assertEquals(2f, lp.logprob());
        assertArrayEquals(new float[] {2f, 1f}, lp.topLogprobs());
        SamplingParams processed = SamplingParams.builder().temperature(0.5).logprobs(2).seed(1).logprobsMode(LogprobsMode.PROCESSED_LOGITS).build();
        TokenLogprobs plp = new Sampler(List.of(), 0).sample(logits(row), List.of(new SamplingRow(processed, NONE, NONE))).logprobs()[0];
        assertArrayEquals(new float[] {4f, 2f}, plp.topLogprobs(), "logits divided by the temperature");
    }

    @Test
    void rowsWithoutLogprobsGetNone() {
        Logits two = logits(new float[] {1f, 0f}, new float[] {0f, 1f});
        SampledTokens out = new Sampler(List.of(), 0).sample(two, List.of(
                new SamplingRow(SamplingParams.builder().temperature(0).build(), NONE, NONE),
                new SamplingRow(SamplingParams.builder().temperature(0).logprobs(0).build(), NONE, NONE)));
        assertArrayEquals(new int[] {0, 1}, out.tokenIds());
        assertNull(out.logprobs()[0]);
        assertEquals(0, out.logprobs()[1].numTop(), "logprobs=0: only the sampled token, as vLLM");
        assertEquals(Math.log(Math.E / (1 + Math.E)), out.logprobs()[1].logprob(), EPS);
    }

    @Test
    void wholeVocabularyAndTies() {
        float[] row = {1f, 3f, 3f, 0f};
        SamplingParams p = SamplingParams.builder().temperature(0).logprobs(-1).build();
        TokenLogprobs lp = new Sampler(List.of(), 0).sample(logits(row), List.of(new SamplingRow(p, NONE, NONE))).logprobs()[0];
        assertArrayEquals(new int[] {1, 2, 0, 3}, lp.topTokenIds(), "best first, lower id first on ties");
        assertEquals(1, lp.tokenId());
        assertEquals(2, lp.rank(), "vLLM's rank counts every token scoring at least as high, ties included");
    }

    @Test
    void promptLogprobsUseTheRawDistribution() {
        float[] row0 = randomRow(3, 500), row1 = randomRow(4, 500);
        Logits logits = logits(row0, row1);
        TokenLogprobs lp = Sampler.promptLogprobs(logits, 1, 17, 3);
        double[] expected = logSoftmax(row1, 1.0);
        assertEquals(17, lp.tokenId());
        assertEquals(expected[17], lp.logprob(), EPS);
        int rank = 0;
        for (float v : row1) if (v >= row1[17]) rank++;
        assertEquals(rank, lp.rank());
        assertEquals(3, lp.numTop());
        assertEquals(logits.argmax(1), lp.topTokenIds()[0]);
        assertEquals(expected[logits.argmax(1)], lp.topLogprobs()[0], EPS);
        assertEquals(500, Sampler.promptLogprobs(logits, 0, 0, -1).numTop());
        assertThrows(IllegalArgumentException.class, () -> Sampler.promptLogprobs(logits, 2, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Sampler.promptLogprobs(logits, 0, 500, 1));
    }

    @Test
    void rankCountsScoresAtLeastAsHigh() {
        Random r = new Random(8);
        float[] x = new float[3001];
        for (int i = 0; i < x.length; i++) x[i] = i % 50 == 0 ? Float.NEGATIVE_INFINITY : r.nextInt(40) - 20;
        for (int t = 0; t < x.length; t += 7) {
            int expected = 0;
            for (float v : x) if (v >= x[t]) expected++;
            assertEquals(expected, LogprobsCalculator.rank(x, 0, x.length, x[t]), "token " + t + " score " + x[t]);
        }
    }
}
