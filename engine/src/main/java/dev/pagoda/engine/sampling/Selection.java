package dev.pagoda.engine.sampling;

/**
 * Quickselect variants used by top-k and top-p. Both partition a scratch array in place around a
 * median-of-three pivot into {@code > pivot | == pivot | < pivot} (descending, three-way so that
 * long runs of equal values cannot make it quadratic) and continue in one part only: expected
 * O(m) for m values.
 */
final class Selection {
    private Selection() {}

    /** The k-th largest (1-based) of {@code a[0, m)}; {@code a} is reordered. Requires 1 ≤ k ≤ m. */
    static float kthLargest(float[] a, int m, int k) {
        int lo = 0, hi = m, want = k - 1; // want: index in descending order
        while (true) {
            float pivot = medianOfThree(a, lo, hi);
            long bounds = partition(a, lo, hi, pivot);
            int gt = (int) (bounds >>> 32), lt = (int) bounds;
            if (want < gt) hi = gt;
            else if (want < lt) return pivot;
            else lo = lt;
        }
    }

    /**
     * For non-negative weights {@code a[0, m)}, the smallest weight c such that the weights ≥ c
     * add up to at least {@code target} while those > c do not: keeping every weight ≥ c is the
     * nucleus. When rounding leaves the total short of {@code target}, 0 (keep everything).
     * {@code a} is reordered.
     */
    static float massCutoff(float[] a, int m, double target) {
        int lo = 0, hi = m;
        double above = 0; // mass of the weights known to be larger than every weight in [lo, hi)
        while (lo < hi) {
            float pivot = medianOfThree(a, lo, hi);
            long bounds = partition(a, lo, hi, pivot);
            int gt = (int) (bounds >>> 32), lt = (int) bounds;
            double greater = sum(a, lo, gt), equal = sum(a, gt, lt);
            if (above + greater >= target) {
                hi = gt;
            } else if (above + greater + equal >= target) {
                return pivot;
            } else {
                above += greater + equal;
                lo = lt;
            }
        }
        return 0f;
    }

    private static double sum(float[] a, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += a[i];
        return s;
    }

    private static float medianOfThree(float[] a, int lo, int hi) {
        float x = a[lo], y = a[(lo + hi) >>> 1], z = a[hi - 1];
        return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    }

    /**
     * Dutch-flag partition of {@code a[lo, hi)}: {@code [lo, gt) > pivot}, {@code [gt, lt) == pivot},
     * {@code [lt, hi) < pivot}. Returns {@code gt << 32 | lt}.
     */
    private static long partition(float[] a, int lo, int hi, float pivot) {
        int gt = lo, i = lo, lt = hi;
        while (i < lt) {
            float v = a[i];
            if (v > pivot) {
                a[i++] = a[gt];
                a[gt++] = v;
            } else if (v < pivot) {
                a[i] = a[--lt];
                a[lt] = v;
            } else {
                i++;
            }
        }
        return ((long) gt << 32) | (lt & 0xFFFFFFFFL);
    }
}
