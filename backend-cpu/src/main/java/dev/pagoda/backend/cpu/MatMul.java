package dev.pagoda.backend.cpu;

import dev.pagoda.engine.model.DType;
import java.lang.foreign.MemorySegment;

/**
 * Matrix multiplication for linear layers: {@code out[r, j] = x[r, :] · W[j, :] + b[j]} for every
 * row {@code r} of the batch and every output feature {@code j}.
 *
 * <p>Threads split the <em>weight rows</em> (output features), in groups of {@link #TILE}: each
 * weight row is read from memory once and used for every batch row while it is hot in L1. In a
 * decode step the batch has one row per sequence and the weights dwarf everything else, so reading
 * each weight byte exactly once is the whole game at batch 1 (the benchmark measures how close we
 * get to memory bandwidth); with many rows the arithmetic starts to count, and bf16 weights go
 * through the register-tiled {@link Bf16MatMulKernel}.
 *
 * <p>Several layers that read the same input (q/k/v, or gate/up) run as one parallel loop over
 * their concatenated output features, to pay one thread hand-off instead of three.
 *
 * <p>Determinism: each output has one reduction order whatever computes it. bf16 weights use the
 * pair order of {@link Bf16MatMulKernel} in every tile shape; F32/F16 weights use {@link Dot}'s
 * order, widened in registers for one batch row or once into a scratch row for several. So
 * {@code out[r, j]} is bit-identical whatever the batch, the thread count or the chunking.
 */
final class MatMul {
    private MatMul() {}

    /** Weight rows per tile (the kernels' 4 columns); threads claim whole tiles. */
    static final int TILE = 4;
    /** Tiles a thread takes at a time, at least (amortizes the atomic hand-off). */
    static final int MIN_TILES_PER_CHUNK = 4;

    /**
     * Runs every layer in {@code linears} over the same input.
     *
     * @param x       {@code [numRows, inFeatures]} (all layers share {@code inFeatures})
     * @param linears the layers
     * @param outs    {@code outs[k]} is {@code [numRows, linears[k].outFeatures]}
     * @param scratch per-worker rows for widened F16 weights or packed bf16 tiles, grown here as needed
     */
    static void forward(WorkerPool pool, float[] x, int numRows, Linear[] linears, float[][] outs, float[][] scratch) {
        int total = 0;
        boolean anyBf16 = false;
        for (Linear l : linears) {
            total += l.outFeatures();
            anyBf16 |= l.weight().dtype() == DType.BF16;
        }
        int in = linears[0].inFeatures();
        // bf16 kernels read the activations de-interleaved into pairs: [numRows, inFeatures], once per call.
        float[] xp = anyBf16 ? splitPairs(x, numRows, in, null) : null;
        int totalFeatures = total;
        int numTiles = (total + TILE - 1) / TILE;
        pool.parallelFor(numTiles, MIN_TILES_PER_CHUNK, (worker, tileStart, tileEnd) -> {
            int start = tileStart * TILE, end = Math.min(totalFeatures, tileEnd * TILE);
            int base = 0;
            for (int k = 0; k < linears.length; k++) {
                Linear linear = linears[k];
                int lo = Math.max(start, base), hi = Math.min(end, base + linear.outFeatures());
                if (lo < hi) range(linear, x, xp, numRows, outs[k], lo - base, hi - base, scratch, worker);
                base += linear.outFeatures();
            }
        });
    }

    /**
     * The input rows as the bf16 kernels read them: each row of {@code x} ({@code [numRows, in]})
     * de-interleaved by {@link Bf16MatMulKernel#splitPairs}, into {@code dst} (reused if large enough).
     */
    static float[] splitPairs(float[] x, int numRows, int in, float[] dst) {
        if (dst == null || dst.length < numRows * in) dst = new float[numRows * in];
        for (int r = 0; r < numRows; r++) Bf16MatMulKernel.splitPairs(x, r * in, dst, r * in, in);
        return dst;
    }

    /**
     * Output features {@code [jStart, jEnd)} of one layer, all batch rows, on the calling thread: the
     * piece of work a parallel region hands a worker.
     *
     * @param x  {@code [numRows, inFeatures]} the input (read by F32/F16 weights)
     * @param xp the same rows after {@link #splitPairs} (read by bf16 weights; may be {@code null} otherwise)
     * @param out {@code [numRows, outFeatures]}
     */
    static void range(Linear linear, float[] x, float[] xp, int numRows, float[] out, int jStart, int jEnd, float[][] scratch, int worker) {
        if (linear.weight().dtype() == DType.BF16) bf16Rows(linear, xp, numRows, out, jStart, jEnd, scratch, worker);
        else rows(linear, x, numRows, out, jStart, jEnd, scratch, worker);
    }

    /**
     * One bf16 layer, output features {@code [jStart, jEnd)}, all batch rows.
     *
     * <p>One batch row: weight row after weight row, {@link Bf16MatMulKernel#dot}. Memory is read as
     * one sequential stream, which the hardware prefetchers follow at full speed; reading 4 rows
     * side by side (4 short streams 2·inFeatures bytes apart) measured 2–3× slower from DRAM.
     *
     * <p>Several batch rows: the same sequential read, but 4 weight rows at a time widened to fp32
     * ("packed") into this worker's scratch, where {@link Bf16MatMulKernel#tile2x4} (and
     * {@link Bf16MatMulKernel#tile1x4} for the last row of an odd batch) reuse them from cache.
     * Single outputs ({@code dot}) only at a layer's ragged end.
     */
    private static void bf16Rows(Linear linear, float[] xp, int numRows, float[] out, int jStart, int jEnd, float[][] scratch, int worker) {
        int in = linear.inFeatures(), outF = linear.outFeatures();
        MemorySegment w = linear.weight().data();
        float[] bias = linear.bias();
        long rowBytes = 2L * in;
        int j = jStart;
        if (numRows > 1) {
            int packedFloats = TILE * in;
            if (scratch[worker] == null || scratch[worker].length < packedFloats) scratch[worker] = new float[packedFloats];
            float[] packed = scratch[worker];
            float[] sums = new float[16 * Dot.L];
            for (; j + TILE <= jEnd; j += TILE) {
                Bf16MatMulKernel.pack(w, j * rowBytes, 0, TILE, in, packed);
                int r = 0;
                for (; r + 2 <= numRows; r += 2) {
                    Bf16MatMulKernel.tile2x4(xp, r * in, in, packed, in, out, r * outF + j, outF, bias, j, sums);
                }
                for (; r < numRows; r++) Bf16MatMulKernel.tile1x4(xp, r * in, packed, in, out, r * outF + j, bias, j, sums);
            }
        }
        for (; j < jEnd; j++) {
            for (int r = 0; r < numRows; r++) {
                out[r * outF + j] = Bf16MatMulKernel.withBias(Bf16MatMulKernel.dot(xp, r * in, w, j * rowBytes, in), bias, j);
            }
        }
    }

    /** One F32/F16 layer, output features {@code [jStart, jEnd)}, all batch rows. */
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
