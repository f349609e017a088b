package dev.pagoda.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Quickselect, mass cutoff and top-N against sorting, including heavy ties. */
class SelectionTest {

    @Test
    void kthLargestMatchesSorting() {
        Random r = new Random(1);
        for (int trial = 0; trial < 200; trial++) {
            int m = 1 + r.nextInt(300);
            float[] a = new float[m];
            for (int i = 0; i < m; i++) a[i] = trial % 3 == 0 ? r.nextInt(4) : (float) r.nextGaussian();
            float[] sorted = a.clone();
            Arrays.sort(sorted);
            int k = 1 + r.nextInt(m);
            assertEquals(sorted[m - k], Selection.kthLargest(a.clone(), m, k), "trial " + trial);
        }
    }

    @Test
    void massCutoffMatchesSorting() {
        Random r = new Random(2);
        for (int trial = 0; trial < 200; trial++) {
            int m = 1 + r.nextInt(300);
            float[] a = new float[m];
            for (int i = 0; i < m; i++) a[i] = trial % 3 == 0 ? 1 + r.nextInt(3) : (float) Math.exp(2 * r.nextGaussian());
            double total = 0;
            for (float v : a) total += v;
            double target = r.nextDouble() * total;
            float[] sorted = a.clone();
            Arrays.sort(sorted);
            // Walk down: the first value whose inclusion reaches the target, counting its ties together.
            double mass = 0;
            float expected = 0f;
            for (int i = m - 1; i >= 0; ) {
                int j = i;
                while (j >= 0 && sorted[j] == sorted[i]) mass += sorted[j--];
                if (mass >= target) {
                    expected = sorted[i];
                    break;
                }
                i = j;
            }
            assertEquals(expected, Selection.massCutoff(a.clone(), m, target), "trial " + trial);
        }
    }

    @Test
    void topNMatchesSortingWithTies() {
        Random r = new Random(3);
        for (int trial = 0; trial < 100; trial++) {
            int v = 1 + r.nextInt(200);
            float[] x = new float[v + 7];
            for (int i = 0; i < x.length; i++) x[i] = r.nextInt(10);
            Integer[] order = new Integer[v];
            for (int i = 0; i < v; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> x[7 + a] != x[7 + b] ? Float.compare(x[7 + b], x[7 + a]) : Integer.compare(a, b));
            int n = r.nextInt(v + 3);
            int[] expected = Arrays.stream(order).limit(Math.min(n, v)).mapToInt(Integer::intValue).toArray();
            assertArrayEquals(expected, TopN.select(x, 7, v, n), "trial " + trial);
        }
    }

    @Test
    void heapKthLargestMatchesSorting() {
        Random r = new Random(4);
        float[] heap = new float[Selection.MAX_HEAP_K];
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(1000);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = r.nextInt(5) == 0 ? Float.NEGATIVE_INFINITY : (trial % 2 == 0 ? r.nextInt(6) : (float) r.nextGaussian());
            float[] finite = new float[n];
            int m = 0;
            for (float v : x) if (v != Float.NEGATIVE_INFINITY) finite[m++] = v;
            float[] sorted = Arrays.copyOf(finite, m);
            Arrays.sort(sorted);
            int k = 1 + r.nextInt(Selection.MAX_HEAP_K);
            float expected = k <= m ? sorted[m - k] : Float.NEGATIVE_INFINITY;
            assertEquals(expected, Selection.kthLargestByHeap(x, n, k, heap), "trial " + trial);
        }
    }

    @Test
    void topPCutoffMatchesTheDirectOneOnBothPaths() {
        Random r = new Random(5);
        TopPCutoff topP = new TopPCutoff();
        int bucketPath = 0, heapPath = 0;
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + r.nextInt(3000);
            float[] w = new float[n];
            double scale = trial % 2 == 0 ? 0.05 + 0.3 * r.nextDouble() : 0.5 + 4 * r.nextDouble(); // flat or peaked
            for (int i = 0; i < n; i++) w[i] = r.nextInt(7) == 0 ? 0f : (float) Math.exp(-Math.abs(scale * r.nextGaussian()));
            w[r.nextInt(n)] = 1f; // the max
            double p = r.nextDouble();
            float[] positive = new float[n];
            int m = 0;
            for (float v : w) if (v > 0) positive[m++] = v;
            float direct = Selection.massCutoff(positive, m, p * TopPCutoff.sum(w, n));
            assertEquals(direct, topP.cutoff(w, n, p), "trial " + trial + " p=" + p);
            int kept = 0;
            for (float v : w) if (v >= direct) kept++;
            if (kept > Selection.MAX_HEAP_K) bucketPath++;
            else heapPath++;
        }
        assertTrue(bucketPath > 20 && heapPath > 20, "both paths ran: " + bucketPath + " / " + heapPath);
    }

    @Test
    void blockedDrawMatchesALinearWalk() {
        Random r = new Random(6);
        double[] blockSums = new double[8];
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + r.nextInt(2000);
            float[] w = new float[n];
            for (int i = 0; i < n; i++) w[i] = r.nextInt(3) == 0 ? 0f : r.nextFloat();
            double u = trial == 0 ? 0.0 : trial == 1 ? Math.nextDown(1.0) : r.nextDouble();
            double total = 0;
            for (float v : w) total += v;
            int expected = -1;
            double running = 0;
            for (int i = 0; i < n && expected < 0; i++) {
                running += w[i];
                if (w[i] > 0 && running > u * total) expected = i;
            }
            int got = RowSampler.drawInverseCdf(w, n, u, blockSums);
            if (expected < 0) { // u × total at the very top: the last possible token
                expected = 0;
                for (int i = n - 1; i >= 0; i--) if (w[i] > 0) { expected = i; break; }
            }
            // Block sums are added in another order than the walk; a draw may move only across a
            // boundary where the two sums straddle u × total, which these random weights never hit.
            assertEquals(expected, got, "trial " + trial);
        }
    }
}
