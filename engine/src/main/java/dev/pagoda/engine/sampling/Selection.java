package dev.pagoda.engine.sampling;

/**
 * Selection without sorting, for top-k, top-p and logprobs: a size-k heap for small k, and
 * quickselects that partition a scratch array in place around a median-of-three pivot into {@code > pivot | == pivot | < pivot} (descending, three-way so that
 * long runs of equal values cannot make it quadratic) and continue in one part only: expected
 * O(m) for m values.
 */
final class Selection {
    /** Top-k up to this k uses a heap; larger k a quickselect. */
    static final int MAX_HEAP_K = 256;

    private Selection() {}

    /**
     * The k-th largest of the finite values of {@code x[0, n)}; -Infinity when fewer than k are finite.
     *
     * @param heap workspace of at least k floats
     */
    static float kthLargestByHeap(float[] x, int n, int k, float[] heap) {
        return topValues(x, n, k, Float.NEGATIVE_INFINITY, heap) < k ? Float.NEGATIVE_INFINITY : heap[0];
    }

    /**
     * The k largest values of {@code x[0, n)} above {@code floor}, in one pass with a size-k min-heap
     * (its root, {@code heap[0]}, is the smallest of the k best so far, so most values cost one
     * compare). Returns how many were found (≤ k); they are in {@code heap[0, count)}, heap-ordered.
     */
    static int topValues(float[] x, int n, int k, float floor, float[] heap) {
        int size = 0;
        for (int i = 0; i < n; i++) {
            float v = x[i];
            if (!(v > floor)) continue;
            if (size < k) {
                int c = size++;
                heap[c] = v;
                while (c > 0 && heap[(c - 1) >>> 1] > heap[c]) {
                    int parent = (c - 1) >>> 1;
                    float t = heap[parent];
                    heap[parent] = heap[c];
                    heap[c] = t;
                    c = parent;
                }
            } else if (v > heap[0]) {
                heap[0] = v;
                int c = 0;
                while (true) {
                    int l = 2 * c + 1, r = l + 1, min = c;
                    if (l < k && heap[l] < heap[min]) min = l;
                    if (r < k && heap[r] < heap[min]) min = r;
                    if (min == c) break;
                    float t = heap[min];
                    heap[min] = heap[c];
                    heap[c] = t;
                    c = min;
                }
            }
        }
        return size;
    }

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
     * nucleus. When rounding leaves the total short of {@code target}, the smallest weight (keep
     * them all). {@code a} is reordered.
     */
    static float massCutoff(float[] a, int m, double target) {
        float smallest = Float.POSITIVE_INFINITY;
        for (int i = 0; i < m; i++) smallest = Math.min(smallest, a[i]);
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
        return m == 0 ? 0f : smallest;
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
