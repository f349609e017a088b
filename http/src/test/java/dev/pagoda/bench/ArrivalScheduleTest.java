package dev.pagoda.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Gamma inter-arrival times: mean 1/rate at any burstiness, variance 1/(rate² × burstiness). */
class ArrivalScheduleTest {
    private static final int N = 200_000;

    @Test
    void unlimitedRateSendsEverythingAtOnce() {
        assertArrayEquals(new double[5], new ArrivalSchedule(Double.POSITIVE_INFINITY, 1, 0).sendTimes(5));
    }

    @Test
    void meanGapIsOneOverTheRateAndBurstinessSetsTheSpread() {
        for (double burstiness : new double[] {0.25, 1, 4}) {
            ArrivalSchedule s = new ArrivalSchedule(8, burstiness, 42);
            double sum = 0, sumSq = 0;
            for (int i = 0; i < N; i++) {
                double g = s.nextInterval();
                assertTrue(g >= 0);
                sum += g;
                sumSq += g * g;
            }
            double mean = sum / N, variance = sumSq / N - mean * mean;
            // gamma(k, θ): mean kθ = 1/8 s; variance kθ² = 1/(64 k). 200k draws: the mean within ~1 %.
            assertEquals(0.125, mean, 0.125 * 0.02, "burstiness " + burstiness);
            assertEquals(1 / (64 * burstiness), variance, 1 / (64 * burstiness) * 0.1, "burstiness " + burstiness);
        }
    }

    @Test
    void gammaDrawsHaveTheShapeAsMeanAndVariance() {
        Random r = new Random(7);
        for (double shape : new double[] {0.5, 1, 2.5, 9}) {
            double sum = 0, sumSq = 0;
            for (int i = 0; i < N; i++) {
                double g = ArrivalSchedule.gamma(shape, r);
                sum += g;
                sumSq += g * g;
            }
            double mean = sum / N;
            assertEquals(shape, mean, shape * 0.02, "shape " + shape);
            assertEquals(shape, sumSq / N - mean * mean, shape * 0.1, "shape " + shape);
        }
    }

    @Test
    void sendTimesStartAtZeroAndAccumulateTheGaps() {
        double[] t = new ArrivalSchedule(2, 1, 3).sendTimes(4);
        assertEquals(0, t[0]);
        for (int i = 1; i < 4; i++) assertTrue(t[i] >= t[i - 1]);
        assertArrayEquals(t, new ArrivalSchedule(2, 1, 3).sendTimes(4)); // same seed, same schedule
    }

    @Test
    void rejectsNonPositiveRatesAndBurstiness() {
        assertThrows(IllegalArgumentException.class, () -> new ArrivalSchedule(0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new ArrivalSchedule(1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ArrivalSchedule(1, Double.NaN, 0));
    }
}
