package dev.pagoda.bench;

import java.util.Random;

/**
 * When {@code bench serve} sends each request (vLLM's {@code get_request}). At an unlimited rate all
 * are sent at once; at {@code --request-rate R} the gaps are drawn from a gamma distribution with
 * shape {@code burstiness} and scale {@code 1 / (R × burstiness)}, so the mean gap is always 1/R:
 * burstiness 1 is a Poisson process (exponential gaps), below 1 burstier, above 1 more even.
 */
public final class ArrivalSchedule {
    private final double requestRate;
    private final double burstiness;
    private final Random random;

    /** @param requestRate requests per second; {@link Double#POSITIVE_INFINITY} sends everything at once */
    public ArrivalSchedule(double requestRate, double burstiness, long seed) {
        if (!(requestRate > 0)) throw new IllegalArgumentException("--request-rate must be positive (or inf), got " + requestRate);
        if (!(burstiness > 0) || Double.isInfinite(burstiness)) throw new IllegalArgumentException("--burstiness must be a positive number, got " + burstiness);
        this.requestRate = requestRate;
        this.burstiness = burstiness;
        this.random = new Random(seed);
    }

    public boolean unlimited() {
        return Double.isInfinite(requestRate);
    }

    /** The next gap in seconds: 0 when unlimited, else a gamma(burstiness, 1/(rate × burstiness)) draw. */
    public double nextInterval() {
        if (unlimited()) return 0;
        return gamma(burstiness, random) / (requestRate * burstiness);
    }

    /** Send times (seconds from the start) of {@code n} requests: the first at 0, like vLLM's loop (sleep after each). */
    public double[] sendTimes(int n) {
        double[] t = new double[n];
        for (int i = 1; i < n; i++) t[i] = t[i - 1] + nextInterval();
        return t;
    }

    /**
     * A gamma(shape, 1) draw: Marsaglia and Tsang's method (2000) for shape ≥ 1; below 1, a draw at
     * shape + 1 times U^(1/shape) (their boost).
     */
    static double gamma(double shape, Random random) {
        if (shape < 1) {
            double u = random.nextDouble();
            return gamma(shape + 1, random) * Math.pow(u, 1 / shape);
        }
        double d = shape - 1.0 / 3, c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = random.nextGaussian(), v = 1 + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            double u = random.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
        }
    }
}
