package dev.pagoda.backend.cpu;

import dev.pagoda.engine.model.DType;
import java.lang.foreign.MemorySegment;

/**
 * Matrix multiplication for linear layers: {@code out[r, j] = x[r, :] · W[j, :] + b[j]} for every
 * row {@code r} of the batch and every output feature {@code j}.
 *
 * <p>Threads split the <em>weight rows</em> (output features): each weight row is read from memory
 * once and used for every batch row while it is hot in L1. In a decode step the batch has one row
 * per sequence and the weights dwarf everything else, so reading each weight byte exactly once is
 * the whole game (the benchmark measures how close we get to memory bandwidth).
 *
 * <p>Several layers that read the same input (q/k/v, or gate/up) run as one parallel loop over
 * their concatenated output features, to pay one thread hand-off instead of three.
 *
 * <p>Determinism: with one batch row the weight row is widened in registers ({@link Dot#dotBf16});
 * with several it is widened once into a scratch row and reused. Both use one reduction order
 * (see {@link Dot}), so {@code out[r, j]} is bit-identical whatever the batch.
 */
final class MatMul {
    private MatMul() {}

    /** Output features a thread takes at a time (amortizes the atomic hand-off). */
    private static final int MIN_ROWS_PER_CHUNK = 16;

    /**
     * Runs every layer in {@code linears} over the same input.
     *
     * @param x       {@code [numRows, inFeatures]} (all layers share {@code inFeatures})
     * @param linears the layers
     * @param outs    {@code outs[k]} is {@code [numRows, linears[k].outFeatures]}
     * @param scratch per-worker rows {@code [numThreads][inFeatures]} for widened weights, grown here as needed
     */
    static void forward(WorkerPool pool, float[] x, int numRows, Linear[] linears, float[][] outs, float[][] scratch) {
        int total = 0;
        for (Linear l : linears) total += l.outFeatures();
        pool.parallelFor(total, MIN_ROWS_PER_CHUNK, (worker, start, end) -> {
            int base = 0;
            for (int k = 0; k < linears.length; k++) {
                Linear linear = linears[k];
                int lo = Math.max(start, base), hi = Math.min(end, base + linear.outFeatures());
                if (lo < hi) rows(linear, x, numRows, outs[k], lo - base, hi - base, scratch, worker);
                base += linear.outFeatures();
            }
        });
    }

    /** One layer, output features {@code [jStart, jEnd)}, all batch rows. */
    private static void rows(Linear linear, float[] x, int numRows, float[] out, int jStart, int jEnd, float[][] scratch, int worker) {
        int in = linear.inFeatures(), outF = linear.outFeatures();
        MemorySegment w = linear.weight().data();
        DType dtype = linear.weight().dtype();
        float[] bias = linear.bias();
        boolean widenOnce = numRows > 1 && dtype != DType.F32;
        float[] wRow = null;
        if (widenOnce) {
            if (scratch[worker] == null || scratch[worker].length < in) scratch[worker] = new float[in];
            wRow = scratch[worker];
        }
        for (int j = jStart; j < jEnd; j++) {
            long wOff = (long) j * in; // element offset of weight row j
            float b = bias == null ? 0f : bias[j];
            if (widenOnce) Dot.widen(w, wOff, dtype, wRow, 0, in);
            for (int r = 0; r < numRows; r++) {
                float dot = widenOnce ? Dot.dot(x, r * in, wRow, 0, in) : Dot.dot(x, r * in, w, wOff, dtype, in);
                out[r * outF + j] = bias == null ? dot : dot + b;
            }
        }
    }
}
