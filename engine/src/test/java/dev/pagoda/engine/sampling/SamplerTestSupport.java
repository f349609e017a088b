package dev.pagoda.engine.sampling;

import dev.pagoda.engine.backend.Logits;
import java.util.ArrayList;
import java.util.List;

/** Crafted logits rows and repeated draws for the sampler tests. */
final class SamplerTestSupport {
    static final int[] NONE = new int[0];

    private SamplerTestSupport() {}

    /** {@code [rows.length, vocabSize]} logits from explicit rows. */
    static Logits logits(float[]... rows) {
        int vocabSize = rows[0].length;
        float[] values = new float[rows.length * vocabSize];
        for (int r = 0; r < rows.length; r++) System.arraycopy(rows[r], 0, values, r * vocabSize, vocabSize);
        return new Logits(rows.length, vocabSize, values);
    }

    /** Logits whose softmax is exactly {@code probs} (up to rounding): log(p). */
    static float[] logOf(double... probs) {
        float[] x = new float[probs.length];
        for (int i = 0; i < probs.length; i++) x[i] = (float) Math.log(probs[i]);
        return x;
    }

    /** One greedy-or-sampled token for a single row with no history. */
    static int sampleOnce(Sampler sampler, float[] row, SamplingParams p, int[] prompt, int[] output) {
        return sampler.sample(logits(row), List.of(new SamplingRow(p, prompt, output))).tokenIds()[0];
    }

    /**
     * Histogram of {@code draws} tokens drawn from {@code row} with unseeded params, 500 rows per
     * batch, from a sampler seeded with {@code seed}.
     */
    static int[] histogram(float[] row, SamplingParams p, int draws, long seed) {
        Sampler sampler = new Sampler(List.of(), seed);
        int[] counts = new int[row.length];
        int batch = 500;
        float[][] rows = new float[batch][];
        List<SamplingRow> sequences = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            rows[i] = row;
            sequences.add(new SamplingRow(p, NONE, NONE));
        }
        Logits logits = logits(rows);
        for (int done = 0; done < draws; done += batch) {
            for (int t : sampler.sample(logits, sequences).tokenIds()) counts[t]++;
        }
        return counts;
    }

    /** softmax(x / temperature) in double. */
    static double[] softmax(float[] x, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) max = Math.max(max, v / temperature);
        double sum = 0;
        double[] p = new double[x.length];
        for (int i = 0; i < x.length; i++) sum += p[i] = Math.exp(x[i] / temperature - max);
        for (int i = 0; i < x.length; i++) p[i] /= sum;
        return p;
    }
}
