package dev.pagoda.backend.cuda;

import static jcuda.driver.JCudaDriver.*;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import jcuda.Pointer;
import jcuda.driver.CUevent;

/**
 * The decode attention kernels alone: bytes of K and V read ÷ kernel time (CUDA events, median of
 * 20) against the copy kernel's bandwidth measured in the same run. Shapes: the figure
 * (batch 64, 4k context, Llama-3-8B heads: 32 query heads, 8 kv heads of 128) and single sequences
 * with long contexts, where splitting the context matters. Random bf16 K/V, random non-contiguous
 * block tables (block size 16). Run by scripts/gpu/run-on-gpu.sh:
 * {@code java -cp … dev.pagoda.backend.cuda.PagedAttentionBenchmark}.
 */
public final class PagedAttentionBenchmark {
    public static void main(String[] args) {
        try (CudaContext cuda = new CudaContext()) {
            double bandwidth = CopyBandwidth.measure(cuda, 1L << 30, 20);
            System.out.printf("device: %s (sm_%d); copy kernel bandwidth %.0f GB/s (read + write, 1 GiB, median of 20)%n",
                    cuda.deviceName, cuda.computeCapability, bandwidth / 1e9);
            System.out.println("| batch | context | heads q/kv × size | kernel | µs | K/V GB/s | % of copy bandwidth |");
            System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
            run(cuda, bandwidth, 64, 4096, 32, 8, 128);
            run(cuda, bandwidth, 1, 32768, 32, 8, 128);
            run(cuda, bandwidth, 1, 4096, 14, 2, 64);
            run(cuda, bandwidth, 8, 8192, 32, 8, 128);
        }
    }

    static void run(CudaContext cuda, double bandwidth, int numSeqs, int seqLen, int numHeads, int numKvHeads, int headSize) {
        int blockSize = 16, blocksPerSeq = seqLen / blockSize, numBlocks = numSeqs * blocksPerSeq;
        long cacheElements = (long) numBlocks * blockSize * numKvHeads * headSize;
        DeviceBuffer keyCache = randomBf16(cuda, cacheElements), valueCache = randomBf16(cuda, cacheElements);
        Random r = new Random(3);
        int[] ids = IntStream.range(0, numBlocks).toArray();
        for (int i = numBlocks - 1; i > 0; i--) { // shuffled: every sequence's blocks are scattered
            int j = r.nextInt(i + 1), t = ids[i];
            ids[i] = ids[j];
            ids[j] = t;
        }
        int[] queryStartLoc = IntStream.rangeClosed(0, numSeqs).toArray(), seqLens = new int[numSeqs];
        Arrays.fill(seqLens, seqLen);
        int[] ints = CudaKernelsTest.concat(queryStartLoc, seqLens, ids); // block tables [numSeqs, blocksPerSeq]
        DeviceBuffer dInts = cuda.allocate(ints.length * 4L);
        cuda.copyToDevice(dInts, ints);
        long dQueryStartLoc = dInts.address(), dSeqLens = dQueryStartLoc + 4L * (numSeqs + 1), dBlockTables = dSeqLens + 4L * numSeqs;
        float[] query = new float[numSeqs * numHeads * headSize];
        for (int i = 0; i < query.length; i++) query[i] = (float) r.nextGaussian();
        DeviceBuffer dQuery = cuda.allocate(query.length * 4L), dOut = cuda.allocate(query.length * 2L);
        cuda.copyToDevice(dQuery, query);
        DeviceBuffer partials = cuda.allocate(4 * PagedAttention.partialFloats(numSeqs, PagedAttention.MAX_SPLITS, numHeads, headSize));
        PagedAttention attention = new PagedAttention(cuda);
        float scale = (float) (1 / Math.sqrt(headSize));
        double bytes = 2.0 * cacheElements * 2; // K and V, bf16, each read once
        String shape = String.format("| %d | %d | %d/%d × %d |", numSeqs, seqLen, numHeads, numKvHeads, headSize);

        double onePass = time(cuda, () -> attention.forward(dOut.address(), dQuery.address(), keyCache.address(), valueCache.address(),
                dQueryStartLoc, dSeqLens, dBlockTables, blocksPerSeq, numSeqs, numSeqs, numHeads, numKvHeads, headSize, blockSize, scale));
        print(shape, "one-pass (PagedAttention.cu)", onePass, bytes, bandwidth);
        int ruled = attention.numSplits(numSeqs, seqLen, numHeads, numKvHeads, headSize);
        String kernelName = attention.usesTensorCores(numHeads, numKvHeads, headSize) ? "decode, tensor cores" : "decode";
        for (int numSplits : new int[] {1, 2, 4, 8, 16}) {
            double ms = time(cuda, () -> attention.decode(dOut.address(), partials.address(), dQuery.address(), keyCache.address(),
                    valueCache.address(), dSeqLens, dBlockTables, blocksPerSeq, numSeqs, numHeads, numKvHeads, headSize, blockSize, numSplits, scale));
            print(shape, kernelName + ", " + numSplits + " split"
                    + (numSplits > 1 ? "s" : "") + (numSplits == ruled ? " (the rule's choice)" : ""), ms, bytes, bandwidth);
        }
        // Variants: fewer query heads per block (fewer registers, K/V read more often from L2), 8 positions per group per tile.
        // CUDA-core kernel (PagedAttentionDecode.cu), the previous default first.
        for (int[] variant : new int[][] {{4, 4}, {2, 4}, {1, 4}, {2, 8}}) {
            PagedAttention other = new PagedAttention(cuda, variant[0], variant[1], false);
            int splits = other.numSplits(numSeqs, seqLen, numHeads, numKvHeads, headSize);
            double ms = time(cuda, () -> other.decode(dOut.address(), partials.address(), dQuery.address(), keyCache.address(),
                    valueCache.address(), dSeqLens, dBlockTables, blocksPerSeq, numSeqs, numHeads, numKvHeads, headSize, blockSize, splits, scale));
            print(shape, "decode, " + other.queryHeadsPerBlock(numHeads, numKvHeads) + " q heads/block, U " + variant[1] + ", "
                    + splits + " split(s) (the rule's choice)", ms, bytes, bandwidth);
        }
        for (DeviceBuffer b : new DeviceBuffer[] {keyCache, valueCache, dInts, dQuery, dOut, partials}) cuda.free(b);
    }

    private static void print(String shape, String kernel, double ms, double bytes, double bandwidth) {
        System.out.printf("%s %s | %.1f | %.0f | %.0f%% |%n", shape, kernel, ms * 1e3, bytes / (ms / 1e3) / 1e9, 100 * bytes / (ms / 1e3) / bandwidth);
    }

    /** Median ms of 20 timed launches after 3 warm-ups, CUDA events around each. */
    static double time(CudaContext cuda, Runnable launch) {
        CUevent start = new CUevent(), stop = new CUevent();
        cuEventCreate(start, 0);
        cuEventCreate(stop, 0);
        double[] ms = new double[20];
        for (int i = -3; i < ms.length; i++) {
            cuEventRecord(start, cuda.stream);
            launch.run();
            cuEventRecord(stop, cuda.stream);
            cuEventSynchronize(stop);
            float[] t = new float[1];
            cuEventElapsedTime(t, start, stop);
            if (i >= 0) ms[i] = t[0];
        }
        cuEventDestroy(start);
        cuEventDestroy(stop);
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    private static short[] pattern;

    /** {@code n} random bf16 values (N(0, 1)): one 64 MiB random pattern (larger than L2) uploaded over and over. */
    static DeviceBuffer randomBf16(CudaContext cuda, long n) {
        DeviceBuffer b = cuda.allocate(n * 2);
        if (pattern == null) pattern = CudaKernelsTest.randomBf16(32 << 20, new Random(7));
        for (long at = 0; at < n; at += pattern.length) {
            long len = Math.min(pattern.length, n - at);
            cuda.copyToDevice(b, at * 2, Pointer.to(pattern), len * 2);
        }
        return b;
    }
}
