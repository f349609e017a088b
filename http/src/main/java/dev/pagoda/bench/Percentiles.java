package dev.pagoda.bench;

import java.util.Arrays;

/**
 * numpy's summary statistics over a sample, as vLLM's benchmarks compute them: mean, population
 * standard deviation ({@code np.std}, ddof 0), median, and percentiles with linear interpolation
 * between closest ranks ({@code np.percentile}'s default). An empty sample reads as {@code [0]}
 * (vLLM's {@code np.mean(ttfts or 0)}).
 */
public final class Percentiles {
    private Percentiles() {}

    public static double mean(double[] xs) {
        if (xs.length == 0) return 0;
        double s = 0;
        for (double x : xs) s += x;
        return s / xs.length;
    }

    public static double std(double[] xs) {
        if (xs.length == 0) return 0;
        double m = mean(xs), s = 0;
        for (double x : xs) s += (x - m) * (x - m);
        return Math.sqrt(s / xs.length);
    }

    public static double median(double[] xs) {
        return percentile(xs, 50);
    }

    /**
     * The {@code p}-th percentile, p in [0, 100]: the sorted sample at rank {@code p/100 × (n − 1)},
     * interpolated linearly between the two neighbouring ranks. E.g. p99 of {1, 2, 3, 4} is
     * rank 2.97: 3 + 0.97 × (4 − 3) = 3.97.
     */
    public static double percentile(double[] xs, double p) {
        if (!(p >= 0 && p <= 100)) throw new IllegalArgumentException("a percentile must be in [0, 100], got " + p);
        if (xs.length == 0) return 0;
        double[] sorted = xs.clone();
        Arrays.sort(sorted);
        double rank = p / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(rank), hi = (int) Math.ceil(rank);
        return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
    }
}
