package dev.pagoda.engine.sampling;

import static dev.pagoda.engine.sampling.SamplerTestSupport.NONE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.pagoda.engine.backend.Logits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A seeded request's tokens depend only on its seed, its logits and its output position: not on
 * the other rows of the batch, their order, or the engine's seed.
 */
class SeededSamplingTest {
    private static final int VOCAB = 300;
    private static final int STEPS = 40;

    /** Logits of "the model" for a sequence at output position {@code step}: fixed per (sequence, step). */
    private static float[] modelRow(long sequence, int step) {
        Random r = new Random(sequence * 1_000_003L + step);
        float[] row = new float[VOCAB];
        for (int i = 0; i < VOCAB; i++) row[i] = (float) (1.5 * r.nextGaussian());
        return row;
    }

    /**
     * Generates STEPS tokens for sequence 0 (params {@code target}) decoded in a batch with
     * {@code others} other sequences, the target at row {@code targetRow}.
     */
    private static int[] generate(SamplingParams target, int others, int targetRow, long engineSeed) {
        Sampler sampler = new Sampler(List.of(), engineSeed);
        Random mix = new Random(engineSeed);
        int[] out = new int[STEPS];
        List<int[]> otherOutputs = new ArrayList<>();
        for (int o = 0; o < others; o++) otherOutputs.add(new int[0]);
        for (int step = 0; step < STEPS; step++) {
            int numRows = others + 1;
            float[] values = new float[numRows * VOCAB];
            List<SamplingRow> rows = new ArrayList<>();
            int other = 0;
            for (int r = 0; r < numRows; r++) {
                if (r == targetRow) {
                    System.arraycopy(modelRow(0, step), 0, values, r * VOCAB, VOCAB);
                    rows.add(new SamplingRow(target, new int[] {1, 2, 3}, Arrays.copyOf(out, step)));
                } else {
                    System.arraycopy(modelRow(100 + other, step), 0, values, r * VOCAB, VOCAB);
                    SamplingParams p = mix.nextBoolean() ? SamplingParams.builder().temperature(0.8).topK(50).build()
                            : SamplingParams.builder().seed(mix.nextLong()).topP(0.9).build();
                    rows.add(new SamplingRow(p, NONE, otherOutputs.get(other)));
                    other++;
                }
            }
            out[step] = sampler.sample(new Logits(numRows, VOCAB, values), rows).tokenIds()[targetRow];
        }
        return out;
    }

    @Test
    void seededTokensDoNotDependOnTheBatch() {
        SamplingParams seeded = SamplingParams.builder().seed(42).temperature(0.9).topP(0.95).presencePenalty(0.5).build();
        int[] alone = generate(seeded, 0, 0, 1);
        assertArrayEquals(alone, generate(seeded, 5, 0, 2), "5 other rows after it");
        assertArrayEquals(alone, generate(seeded, 5, 3, 3), "in the middle of the batch");
        assertArrayEquals(alone, generate(seeded, 12, 12, 4), "last of 13 rows");
        assertNotEquals(Arrays.toString(alone), Arrays.toString(generate(SamplingParams.builder().seed(43).temperature(0.9).topP(0.95)
                .presencePenalty(0.5).build(), 0, 0, 1)), "another seed, other tokens");
    }

    @Test
    void unseededTokensFollowTheEngineSeed() {
        SamplingParams unseeded = SamplingParams.builder().temperature(1.0).build();
        assertArrayEquals(generate(unseeded, 3, 1, 7), generate(unseeded, 3, 1, 7), "same engine seed, same batches");
        assertNotEquals(Arrays.toString(generate(unseeded, 0, 0, 7)), Arrays.toString(generate(unseeded, 0, 0, 8)));
    }

    @Test
    void counterRngIsUniformAndKeyedBySeedAndPosition() {
        assertEquals(CounterRng.uniform(5, 9), CounterRng.uniform(5, 9));
        assertNotEquals(CounterRng.uniform(5, 9), CounterRng.uniform(5, 10));
        assertNotEquals(CounterRng.uniform(5, 9), CounterRng.uniform(6, 9));
        int[] buckets = new int[10];
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            double u = CounterRng.uniform(i / 100, i % 100);
            buckets[(int) (u * 10)]++;
        }
        for (int b : buckets) assertEquals(0.1, b / (double) n, 0.006); // 5σ of 0.1 over 100k is 0.0047
    }

    @Test
    void threadsDoNotChangeTheResult() {
        Random mix = new Random(11);
        int numRows = 37;
        float[] values = new float[numRows * VOCAB];
        List<SamplingRow> rows = new ArrayList<>();
        for (int r = 0; r < numRows; r++) {
            System.arraycopy(modelRow(r, 0), 0, values, r * VOCAB, VOCAB);
            SamplingParams p = switch (r % 4) {
                case 0 -> SamplingParams.builder().temperature(0).build();
                case 1 -> SamplingParams.builder().seed(r).topK(20).logprobs(3).build();
                case 2 -> SamplingParams.builder().temperature(1.2).topP(0.8).repetitionPenalty(1.3).build();
                default -> SamplingParams.builder().minP(0.1).logprobs(2).logprobsMode(LogprobsMode.PROCESSED_LOGPROBS).build();
            };
            rows.add(new SamplingRow(p, new int[] {r, r + 1}, mix.ints(r, 0, VOCAB).toArray()));
        }
        Logits logits = new Logits(numRows, VOCAB, values);
        SampledTokens one;
        try (Sampler single = new Sampler(List.of(), 99)) {
            one = single.sample(logits, rows);
        }
        for (int threads : new int[] {2, 3, 8}) {
            try (Sampler many = new Sampler(List.of(), 99, threads)) {
                SampledTokens out = many.sample(logits, rows);
                assertArrayEquals(one.tokenIds(), out.tokenIds(), threads + " threads");
                for (int r = 0; r < numRows; r++) {
                    assertEquals(one.logprobs()[r] == null, out.logprobs()[r] == null);
                    if (one.logprobs()[r] == null) continue;
                    assertArrayEquals(one.logprobs()[r].topTokenIds(), out.logprobs()[r].topTokenIds());
                    assertArrayEquals(one.logprobs()[r].topLogprobs(), out.logprobs()[r].topLogprobs());
                }
            }
        }
    }
}
