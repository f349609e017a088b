package dev.pagoda.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** vLLM's metric definitions on hand-computed traces. */
class BenchmarkMetricsTest {
    private static final double EPS = 1e-9;

    // A: prompt 10, 5 tokens at 0.2, 0.3, 0.4, 0.6, 0.8 s → TTFT 0.2, TPOT (0.8−0.2)/4 = 0.15, ITL .1 .1 .2 .2, E2EL 0.8
    private static final RequestTrace A = RequestTrace.ok(10, 5, 0.2, new double[] {0.1, 0.1, 0.2, 0.2}, 0.8, 0);
    // B: prompt 20, one token at 0.5 s → no TPOT sample, no ITL
    private static final RequestTrace B = RequestTrace.ok(20, 1, 0.5, new double[0], 0.5, 0.1);
    // C: prompt 30, 3 tokens at 1.0, 1.5, 2.0 → TTFT 1.0, TPOT 0.5, ITL .5 .5, E2EL 2.0
    private static final RequestTrace C = RequestTrace.ok(30, 3, 1.0, new double[] {0.5, 0.5}, 2.0, 0.2);
    private static final RequestTrace FAILED = RequestTrace.failed(40, "HTTP 400", 0.3);

    @Test
    void throughputsCountOnlySuccessfulRequests() {
        BenchmarkMetrics m = BenchmarkMetrics.compute(List.of(A, B, C, FAILED), 2.0, List.of(99.0), GoodputSlo.none());
        assertEquals(3, m.completed());
        assertEquals(1, m.failed());
        assertEquals(60, m.totalInputTokens());
        assertEquals(9, m.totalOutputTokens());
        assertEquals(1.5, m.requestThroughput(), EPS);
        assertEquals(4.5, m.outputThroughput(), EPS);
        assertEquals(34.5, m.totalTokenThroughput(), EPS);
        assertNull(m.requestGoodput());
    }

    @Test
    void tpotExcludesTheFirstTokenAndSkipsSingleTokenRequests() {
        BenchmarkMetrics m = BenchmarkMetrics.compute(List.of(A, B, C), 2.0, List.of(50.0), GoodputSlo.none());
        MetricStats tpot = m.metrics().get("tpot");
        assertEquals((150 + 500) / 2.0, tpot.mean(), 1e-6); // only A (150 ms) and C (500 ms)
        assertEquals(175, tpot.std(), 1e-6);
        MetricStats ttft = m.metrics().get("ttft");
        assertEquals((200 + 500 + 1000) / 3.0, ttft.mean(), 1e-6);
        assertEquals(500, ttft.median(), 1e-6);
    }

    @Test
    void itlPoolsEveryGapOfEveryRequest() {
        BenchmarkMetrics m = BenchmarkMetrics.compute(List.of(A, B, C), 2.0, List.of(99.0), GoodputSlo.none());
        MetricStats itl = m.metrics().get("itl"); // gaps: 100 100 200 200 500 500 ms
        assertEquals(1600 / 6.0, itl.mean(), 1e-6);
        assertEquals(200, itl.median(), 1e-6);
        // rank 0.99 × 5 = 4.95 between 500 and 500
        assertEquals(500, itl.percentiles().get(99.0), 1e-6);
        assertEquals(1000 * (0.8 + 0.5 + 2.0) / 3, m.metrics().get("e2el").mean(), 1e-6);
    }

    @Test
    void goodputCountsRequestsMeetingEveryObjective() {
        // ttft ≤ 600 ms keeps A and B; tpot ≤ 200 ms keeps A and B (B's TPOT counts as 0); e2el ≤ 700 ms keeps B only.
        assertEquals(1.0, BenchmarkMetrics.compute(List.of(A, B, C), 2.0, List.of(99.0),
                GoodputSlo.parse(List.of("ttft:600", "tpot:200"))).requestGoodput(), EPS);
        assertEquals(0.5, BenchmarkMetrics.compute(List.of(A, B, C), 2.0, List.of(99.0),
                GoodputSlo.parse(List.of("ttft:600", "tpot:200", "e2el:700"))).requestGoodput(), EPS);
        // a limit exactly at the value is met (vLLM: slo >= value)
        assertEquals(0.5, BenchmarkMetrics.compute(List.of(A, B, C), 2.0, List.of(99.0),
                GoodputSlo.parse(List.of("tpot:150"))).requestGoodput(), EPS);
        // a failed request is never good
        assertEquals(0.0, BenchmarkMetrics.compute(List.of(FAILED), 2.0, List.of(99.0),
                GoodputSlo.parse(List.of("ttft:100000"))).requestGoodput(), EPS);
    }

    @Test
    void badGoodputPairsAreRejectedByName() {
        assertEquals("--goodput: unknown metric 'itl' (one of [ttft, tpot, e2el])",
                assertThrows(IllegalArgumentException.class, () -> GoodputSlo.parse(List.of("itl:5"))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> GoodputSlo.parse(List.of("ttft")));
        assertThrows(IllegalArgumentException.class, () -> GoodputSlo.parse(List.of("ttft:fast")));
        assertThrows(IllegalArgumentException.class, () -> GoodputSlo.parse(List.of("ttft:5", "ttft:6")));
    }

    @Test
    void percentilesInterpolateLinearlyLikeNumpy() {
        double[] xs = {4, 1, 3, 2};
        assertEquals(3.97, Percentiles.percentile(xs, 99), 1e-12); // rank 2.97
        assertEquals(2.5, Percentiles.median(xs), 1e-12);
        assertEquals(1.75, Percentiles.percentile(xs, 25), 1e-12); // rank 0.75
        assertEquals(Math.sqrt(1.25), Percentiles.std(xs), 1e-12);
        assertEquals(0, Percentiles.percentile(new double[0], 99)); // vLLM: np.percentile(x or 0)
        assertEquals(7, Percentiles.percentile(new double[] {7}, 99));
    }
}
