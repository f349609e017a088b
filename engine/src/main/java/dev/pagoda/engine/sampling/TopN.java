package dev.pagoda.engine.sampling;

import java.util.Arrays;

/**
 * The ids of the N largest scores of a row without sorting the row: a size-N min-heap over one
 * pass, O(V log N). The result is best first, the lower id first on ties (torch.topk's order on
 * CPU is not specified on ties; this one is).
 */
final class TopN {
    private TopN() {}

    /**
     * @param x      scores, the row at {@code [offset, offset + vocabSize)}
     * @param n      how many; clamped to vocabSize
     * @return {@code [min(n, vocabSize)]} token ids
     */
    static int[] select(float[] x, int offset, int vocabSize, int n) {
        n = Math.min(n, vocabSize);
        if (n <= 0) return new int[0];
        int[] heap = new int[n]; // min-heap: heap[0] is the worst of the kept ids
        int size = 0;
        for (int id = 0; id < vocabSize; id++) {
            float v = x[offset + id];
            if (Float.isNaN(v)) continue;
            if (size < n) {
                heap[size] = id;
                siftUp(x, offset, heap, size++);
            } else if (v > x[offset + heap[0]]) { // strict: a later id loses ties
                heap[0] = id;
                siftDown(x, offset, heap, size);
            }
        }
        Integer[] boxed = new Integer[size];
        for (int i = 0; i < size; i++) boxed[i] = heap[i];
        Arrays.sort(boxed, (a, b) -> better(x, offset, a, b) ? -1 : better(x, offset, b, a) ? 1 : 0);
        int[] out = new int[size];
        for (int i = 0; i < size; i++) out[i] = boxed[i];
        return out;
    }

    /** True when id {@code a} ranks above id {@code b}. */
    private static boolean better(float[] x, int offset, int a, int b) {
        float va = x[offset + a], vb = x[offset + b];
        return va > vb || (va == vb && a < b);
    }

    private static void siftUp(float[] x, int offset, int[] heap, int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!better(x, offset, heap[parent], heap[i])) break;
            swap(heap, i, parent);
            i = parent;
        }
    }

    private static void siftDown(float[] x, int offset, int[] heap, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, worst = i;
            if (l < size && better(x, offset, heap[worst], heap[l])) worst = l;
            if (r < size && better(x, offset, heap[worst], heap[r])) worst = r;
            if (worst == i) return;
            swap(heap, i, worst);
            i = worst;
        }
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
