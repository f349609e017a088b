package dev.pagoda.backend.cuda;

import dev.pagoda.engine.backend.ForwardBatch;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Prefill speed, prefill attention kernel (PagedAttentionPrefill.cu) vs the one-pass kernel
 * (PagedAttention.cu), in one run: (1) the device's bf16 GEMM peak (cuBLAS 8192³, bf16 in, fp32
 * accumulation), (2) attention alone for one 4,096-token prompt at the Llama-3-8B head shape (32 q /
 * 8 kv heads × 128) and the Qwen2.5-0.5B one (14 / 2 × 64), against its causal FLOPs
 * 4 · L² · H · d / 2, (3) the whole forward pass of a 4,096-token prompt on a dummy Llama-3-8B and
 * of 1,024 / 4,096-token prompts on a dummy Qwen2.5-0.5B (the engine-free part of TTFT), against the
 * model's prefill FLOPs. Run on a GPU host by scripts/gpu/run-on-gpu.sh ({@code BENCH=prefill}):
 * {@code java -cp … dev.pagoda.backend.cuda.CudaPrefillBenchmark}.
 */
public final class CudaPrefillBenchmark {

    public static void main(String[] args) {
        double peak;
        try (CudaContext cuda = new CudaContext(); Cublas cublas = new Cublas(cuda.rawStream)) {
            peak = gemmPeak(cuda, cublas);
            System.out.printf("device: %s (sm_%d); bf16 GEMM peak (cuBLAS 8192³, median of 20): %.0f TFLOP/s%n%n",
                    cuda.deviceName, cuda.computeCapability, peak / 1e12);
            System.out.println("| prompt | heads | kernel | ms | TFLOP/s (causal) | % of bf16 peak |");
            System.out.println("| --- | --- | --- | --- | --- | --- |");
            attention(cuda, peak, 4096, 32, 8, 128);
            attention(cuda, peak, 4096, 14, 2, 64);
            attention(cuda, peak, 1024, 32, 8, 128);
        }
        System.out.println();
        System.out.println("| model | prompt | attention | forward ms (median) | model TFLOP/s | % of bf16 peak |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        forwards(CudaDecodeBenchmark.LLAMA3_8B, "Llama-3-8B", peak, 4096);
        forwards(CudaDecodeBenchmark.QWEN_05B, "Qwen2.5-0.5B", peak, 1024, 4096);
    }

    static double gemmPeak(CudaContext cuda, Cublas cublas) {
        int n = 8192;
        long workspaceBytes = 32L << 20;
        cublas.setWorkspace(cuda.allocate(workspaceBytes).address(), workspaceBytes);
        DeviceBuffer a = PagedAttentionBenchmark.randomBf16(cuda, (long) n * n), b = PagedAttentionBenchmark.randomBf16(cuda, (long) n * n);
        DeviceBuffer c = cuda.allocate((long) n * n * 4);
        double ms = PagedAttentionBenchmark.time(cuda, () -> cublas.linear(c.address(), Cublas.CUDA_R_32F, a.address(), b.address(), n, n, n));
        for (DeviceBuffer x : new DeviceBuffer[] {a, b, c}) cuda.free(x);
        return 2.0 * n * n * n / (ms / 1e3);
    }

    /** One prompt of {@code len} new tokens over a shuffled block table (block size 16), both kernels timed. */
    static void attention(CudaContext cuda, double peak, int len, int numHeads, int numKvHeads, int headSize) {
        int blockSize = 16, numBlocks = len / blockSize;
        long cacheElements = (long) numBlocks * blockSize * numKvHeads * headSize;
        DeviceBuffer keyCache = PagedAttentionBenchmark.randomBf16(cuda, cacheElements), valueCache = PagedAttentionBenchmark.randomBf16(cuda, cacheElements);
        Random r = new Random(3);
        int[] table = IntStream.range(0, numBlocks).toArray();
        for (int i = numBlocks - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = table[i];
            table[i] = table[j];
            table[j] = t;
        }
        int[] queryStartLoc = {0, len}, seqLens = {len};
        int[] tiles = PagedAttentionPrefill.tiles(queryStartLoc, seqLens), tiles128 = PagedAttentionPrefill.tiles(queryStartLoc, seqLens, 128);
        int[] ints = CudaKernelsTest.concat(queryStartLoc, seqLens, table, tiles, tiles128);
        DeviceBuffer dInts = cuda.allocate(ints.length * 4L);
        cuda.copyToDevice(dInts, ints);
        long dQueryStartLoc = dInts.address(), dSeqLens = dQueryStartLoc + 8, dTable = dSeqLens + 4, dTiles = dTable + 4L * numBlocks, dTiles128 = dTiles + 4L * tiles.length;
        float[] query = new float[len * numHeads * headSize];
        for (int i = 0; i < query.length; i++) query[i] = (float) r.nextGaussian();
        DeviceBuffer dQuery = cuda.allocate(query.length * 4L), dOut = cuda.allocate(query.length * 2L);
        cuda.copyToDevice(dQuery, query);
        float scale = (float) (1 / Math.sqrt(headSize));
        double flops = 4.0 * len * len * numHeads * headSize / 2; // Q·Kᵀ and P·V, 2 flops per multiply-add, half the square
        PagedAttention onePass = new PagedAttention(cuda);
        PagedAttentionPrefill prefill = new PagedAttentionPrefill(cuda, false, 4), split = new PagedAttentionPrefill(cuda, true, 4);
        PagedAttentionPrefill w8 = new PagedAttentionPrefill(cuda, false, 8);
        double prefillMs = PagedAttentionBenchmark.time(cuda, () -> prefill.forward(dOut.address(), dQuery.address(), keyCache.address(),
                valueCache.address(), dQueryStartLoc, dSeqLens, dTable, dTiles, tiles.length / 2, numBlocks, numHeads, numKvHeads, headSize, blockSize, scale));
        double w8Ms = PagedAttentionBenchmark.time(cuda, () -> w8.forward(dOut.address(), dQuery.address(), keyCache.address(),
                valueCache.address(), dQueryStartLoc, dSeqLens, dTable, dTiles128, tiles128.length / 2, numBlocks, numHeads, numKvHeads, headSize, blockSize, scale));
        double splitMs = PagedAttentionBenchmark.time(cuda, () -> split.forward(dOut.address(), dQuery.address(), keyCache.address(),
                valueCache.address(), dQueryStartLoc, dSeqLens, dTable, dTiles, tiles.length / 2, numBlocks, numHeads, numKvHeads, headSize, blockSize, scale));
        double onePassMs = PagedAttentionBenchmark.time(cuda, () -> onePass.forward(dOut.address(), dQuery.address(), keyCache.address(),
                valueCache.address(), dQueryStartLoc, dSeqLens, dTable, numBlocks, len, 1, numHeads, numKvHeads, headSize, blockSize, scale));
        String shape = String.format("| %d | %d/%d × %d |", len, numHeads, numKvHeads, headSize);
        for (Object[] row : new Object[][] {{"prefill (PagedAttentionPrefill.cu)", prefillMs}, {"prefill, split Q (_splitq)", splitMs}, {"prefill, 128-row tiles (_w8)", w8Ms}, {"one-pass (PagedAttention.cu)", onePassMs}}) {
            double ms = (double) row[1];
            System.out.printf("%s %s | %.3f | %.1f | %.1f%% |%n", shape, row[0], ms, flops / (ms / 1e3) / 1e12, 100 * flops / (ms / 1e3) / peak);
        }
        for (DeviceBuffer b : new DeviceBuffer[] {keyCache, valueCache, dInts, dQuery, dOut}) cuda.free(b);
    }

    /** The whole forward pass of one prompt per length, prefill kernel then one-pass: median of 3 after a warm-up (one-pass: 1). */
    static void forwards(dev.pagoda.engine.model.ModelConfig config, String name, double peak, int... lengths) {
        try (Arena arena = Arena.ofShared(); CudaBackend backend = CudaDecodeBenchmark.load(config, arena, name)) {
            int blockSize = 16, maxLen = Arrays.stream(lengths).max().orElseThrow();
            int numBlocks = maxLen / blockSize + 1;
            backend.allocateKvCache(numBlocks, blockSize);
            int[] table = new int[numBlocks];
            for (int i = 0; i < numBlocks; i++) table[i] = numBlocks - 1 - i;
            for (int len : lengths) {
                // Prefill FLOPs: 2 × (linear params without the embedding) × L, attention's causal 2 × layers × L² × heads × d, lm_head on one row.
                long h = config.hiddenSize(), q = config.qSize(), kv = config.kvSize(), inter = config.intermediateSize();
                double linear = config.numHiddenLayers() * (h * (q + 2 * kv) + q * h + 3 * h * inter);
                double flops = 2 * linear * len + 2.0 * config.numHiddenLayers() * len * (double) len * config.numAttentionHeads() * config.headDim()
                        + 2.0 * h * config.vocabSize();
                for (boolean prefillKernel : new boolean[] {true, false}) {
                    backend.setPrefillAttention(prefillKernel);
                    int runs = prefillKernel ? 3 : 1;
                    double[] ms = new double[runs];
                    for (int i = -1; i < runs; i++) {
                        ForwardBatch batch = prompt(len, table, blockSize);
                        backend.synchronize();
                        long t0 = System.nanoTime();
                        backend.forward(batch);
                        backend.synchronize();
                        if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
                    }
                    Arrays.sort(ms);
                    double median = ms[runs / 2];
                    System.out.printf("| %s | %d | %s | %.1f | %.1f | %.1f%% |%n", name, len, prefillKernel ? "prefill kernel" : "one-pass",
                            median, flops / (median / 1e3) / 1e12, 100 * flops / (median / 1e3) / peak);
                }
            }
        }
    }

    private static ForwardBatch prompt(int n, int[] table, int blockSize) {
        int[] ids = new int[n], positions = new int[n], slots = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 42 + i % 1000;
            positions[i] = i;
            slots[i] = table[i / blockSize] * blockSize + i % blockSize;
        }
        return new ForwardBatch(ids, positions, new int[] {0, n}, new int[] {n}, new int[][] {table}, slots, new int[] {n - 1});
    }
}
