package dev.pagoda.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
