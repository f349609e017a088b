package dev.pagoda.backend.cuda;

import static jcuda.driver.JCudaDriver.*;

import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;

/**
 * CUDA graphs for decode steps: one eager decode step is ~220 kernel launches and GEMM calls, each
 * costing several µs of host time (measured 6.8 µs per cuLaunchKernel through JCuda), far more than
 * the GPU's own ~0.4 ms for a 0.5B model. A graph replays all of them with one {@code cuGraphLaunch}.
 *
 * <p>As in vLLM, a graph is captured per batch size in {@link #CAPTURE_SIZES} (and per split count
 * of the decode attention, {@link PagedAttention#numSplits}, which grows with the context); a decode batch of
 * {@code numSeqs} sequences is padded to the next size (padding rows: token 0 at position 0, slot -1
 * so nothing is stored, seqLen 1, block table of zeros; their logits are dropped). Larger batches
 * and anything but pure decode (one new token per sequence) run eagerly.
 *
 * <p>A graph bakes in every address: the batch arrays live at fixed places in {@link #ints} (layout
 * below, rows of {@link #MAX_BATCH}) and {@link #tables}, activations in a workspace of its own, and
 * the KV cache's buffers, so the graphs are dropped when the cache is reallocated. Kernel arguments
 * that depend on the step (positions, slots, seqLens, block tables) are read from device memory,
 * never baked in.
 *
 * <p>A step's host work is two asynchronous uploads from pinned memory ({@link PinnedBuffer}: the
 * per-token arrays, and only the used columns of the block tables) and one {@code cuGraphLaunch};
 * {@link #replay} returns without waiting when the caller queues more work behind the graph (the
 * device sampler), so the host runs ahead of the GPU.
 */
final class DecodeGraphs {
    static final int[] CAPTURE_SIZES = {1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 160, 192, 224, 256};
    static final int MAX_BATCH = 256;
    // Layout of `ints` (int32 offsets): tokenIds [MAX] | positions [MAX] | slotMapping [MAX]
    // | queryStartLoc [MAX + 1] | seqLens [MAX] | logitsIndices [MAX]; `tables`: blockTables [MAX, blockTableStride]
    private static final int TOKEN_IDS = 0, POSITIONS = MAX_BATCH, SLOT_MAPPING = 2 * MAX_BATCH, QUERY_START_LOC = 3 * MAX_BATCH,
            SEQ_LENS = 4 * MAX_BATCH + 1, LOGITS_INDICES = 5 * MAX_BATCH + 1, NUM_INTS = 6 * MAX_BATCH + 1;

    private final CudaContext cuda;
    private final CudaForwardPass pass;
    private final Map<Integer, CUgraphExec> execs = new HashMap<>();        // key: size * 64 + numKvSplits
    private final Map<Integer, CUgraphExec> latestForSize = new HashMap<>(); // the graph last launched per size
    private final List<CUgraph> graphs = new ArrayList<>();
    private CudaWorkspace ws;
    private DeviceBuffer ints;           // [NUM_INTS] the per-token and per-sequence arrays
    private DeviceBuffer tables;         // [MAX_BATCH, blockTableStride] block tables
    private final PinnedBuffer stagedInts = new PinnedBuffer();   // what `ints` gets this step
    private final PinnedBuffer stagedTables = new PinnedBuffer(); // [size, usedColumns] what `tables` gets
    private final int[] packedInts = new int[NUM_INTS];
    private int[] packedTables = new int[0];
    private CudaKvCache capturedFor;
    private int blockTableStride;
    private final PinnedBuffer stagedLogits = new PinnedBuffer(); // [numSeqs, vocabSize] what forward() copies back
    /** Host nanoseconds spent per phase of {@link #forward}, summed: pack, upload, launch, wait, download, select. */
    final long[] phaseNanos = new long[6];
    long profiledSteps;

    DecodeGraphs(CudaContext cuda, CudaForwardPass pass) {
        this.cuda = cuda;
        this.pass = pass;
    }

    /** True when {@code b} is a decode step a graph can run: one new token per sequence, at most {@link #MAX_BATCH} sequences. */
    boolean accepts(ForwardBatch b, CudaKvCache cache) {
        if (b.numSeqs() == 0 || b.numSeqs() > MAX_BATCH || b.numTokens() != b.numSeqs()) return false;
        int stride = strideFor(cache);
        for (int s = 0; s < b.numSeqs(); s++) {
            if (b.queryLen(s) != 1 || (b.seqLens()[s] + cache.blockSize - 1) / cache.blockSize > stride) return false;
        }
        return true;
    }

    /** Runs decode step {@code b} (see {@link #accepts}) through the graph of its padded size, capturing it on first use. */
    Logits forward(ForwardBatch b, CudaKvCache cache) {
        replay(b, cache);
        int numSeqs = b.numSeqs(), vocab = pass.config.vocabSize();
        long t4 = System.nanoTime();
        long bytes = (long) numSeqs * vocab * Float.BYTES; // [numSeqs, vocabSize]: row s is sequence s's only token
        stagedLogits.ensure(bytes);
        stagedLogits.downloadAsync(cuda, ws.logits, 0, 0, bytes); // pinned: a fast DMA
        cuda.synchronize();
        long t5 = System.nanoTime();
        int numLogits = b.logitsIndices().length;
        float[] logits = new float[numLogits * vocab];
        for (int i = 0; i < numLogits; i++) stagedLogits.getFloats(4L * b.logitsIndices()[i] * vocab, logits, i * vocab, vocab);
        long t6 = System.nanoTime();
        phaseNanos[4] += t5 - t4;
        phaseNanos[5] += t6 - t5;
        return new Logits(numLogits, vocab, logits);
    }

    /** {@link #replay(ForwardBatch, CudaKvCache, boolean)}, waiting for the GPU. */
    long replay(ForwardBatch b, CudaKvCache cache) {
        return replay(b, cache, true);
    }

    /**
     * Packs {@code b}, uploads it and launches its graph, then waits for the GPU when {@code wait}
     * (else the caller queues more work behind it on the stream and waits later). The graph leaves
     * {@code [paddedSize, vocabSize]} fp32 logits on the device, row s for sequence s (a decode step's
     * {@code logitsIndices} are 0..numSeqs-1); returns their address, what the device sampler reads
     * without a copy to the host. The previous step must have been waited for (the staging rule of
     * {@link PinnedBuffer}).
     */
    long replay(ForwardBatch b, CudaKvCache cache, boolean wait) {
        long t0 = System.nanoTime();
        if (cache != capturedFor) reset(cache);
        int numSeqs = b.numSeqs(), size = paddedSize(numSeqs);

        // Block tables: only the columns some sequence uses go up (a context of 4k tokens uses 256 of
        // the 8,192 columns an 8B model's 128k positions allow); padding rows get block 0.
        int columns = 1;
        for (int s = 0; s < numSeqs; s++) columns = Math.max(columns, (b.seqLens()[s] + cache.blockSize - 1) / cache.blockSize);
        if (packedTables.length < size * columns) packedTables = new int[Math.max(size * columns, 2 * packedTables.length)];
        java.util.Arrays.fill(packedTables, 0, size * columns, 0);
        int[] packed = packedInts;
        for (int s = 0; s < size; s++) {
            boolean real = s < numSeqs;
            packed[TOKEN_IDS + s] = real ? b.tokenIds()[s] : 0;
            packed[POSITIONS + s] = real ? b.positions()[s] : 0;
            packed[SLOT_MAPPING + s] = real ? b.slotMapping()[s] : -1;
            packed[QUERY_START_LOC + s] = s;
            packed[SEQ_LENS + s] = real ? b.seqLens()[s] : 1;
            packed[LOGITS_INDICES + s] = s;
            if (real) {
                int needed = (b.seqLens()[s] + cache.blockSize - 1) / cache.blockSize;
                System.arraycopy(b.blockTables()[s], 0, packedTables, s * columns, needed);
            }
        }
        packed[QUERY_START_LOC + size] = size;
        stagedInts.putInts(0, packed, NUM_INTS);
        stagedTables.ensure(4L * size * columns);
        stagedTables.putInts(0, packedTables, size * columns);
        long t1 = System.nanoTime();
        stagedInts.uploadAsync(cuda, 0, ints, 0, 4L * NUM_INTS);
        stagedTables.upload2dAsync(cuda, size, 4L * columns, tables, 4L * blockTableStride);
        long t2 = System.nanoTime();

        // One graph per (padded size, attention split count): the split count is baked into the graph.
        int maxSeqLen = 0;
        for (int s = 0; s < numSeqs; s++) maxSeqLen = Math.max(maxSeqLen, b.seqLens()[s]);
        int numKvSplits = pass.decodeSplits(size, maxSeqLen);
        CUgraphExec exec = execs.computeIfAbsent(key(size, numKvSplits), k -> capture(size, numKvSplits, cache));
        latestForSize.put(size, exec);
        cuGraphLaunch(exec, cuda.stream);
        long t3 = System.nanoTime();
        if (wait) cuda.synchronize();
        long t4 = System.nanoTime();
        long[] t = {t0, t1, t2, t3, t4};
        for (int i = 0; i < 4; i++) phaseNanos[i] += t[i + 1] - t[i];
        profiledSteps++;
        return ws.logits.address();
    }

    /**
     * Captures the graphs that decode steps of up to {@code maxNumSeqs} sequences will use, before any
     * request arrives (vLLM captures its graphs at start-up too): every padded size, with each attention
     * split count that a context of up to {@code maxModelLen} tokens picks. Otherwise each is captured
     * on first use, milliseconds in the middle of serving. Returns the number captured.
     */
    int captureAll(CudaKvCache cache, int maxNumSeqs, int maxModelLen) {
        if (cache != capturedFor) reset(cache);
        int before = execs.size();
        int largest = paddedSize(Math.min(Math.max(1, maxNumSeqs), MAX_BATCH));
        int longest = Math.min(maxModelLen, blockTableStride * cache.blockSize);
        for (int size : CAPTURE_SIZES) {
            if (size > largest) break;
            // The split count grows with the context (PagedAttention.numSplits): 1 at one token, then
            // each doubling from 2 × MIN_POSITIONS_PER_SPLIT may double it, up to MAX_SPLITS.
            for (int seqLen = 1; seqLen <= longest; seqLen = seqLen == 1 ? 2 * PagedAttention.MIN_POSITIONS_PER_SPLIT : 2 * seqLen) {
                if (!execs.containsKey(key(size, pass.decodeSplits(size, seqLen)))) {
                    replay(warmUpBatch(size, seqLen, cache.blockSize), cache, true);
                }
            }
        }
        java.util.Arrays.fill(phaseNanos, 0); // the profile is of real steps
        profiledSteps = 0;
        return execs.size() - before;
    }

    /**
     * {@code numSeqs} sequences of {@code seqLen} tokens decoding their last one, all reading block 0
     * and writing no K/V (slot -1, as padding rows do): what a capture needs, touching no real data.
     */
    private static ForwardBatch warmUpBatch(int numSeqs, int seqLen, int blockSize) {
        int[] positions = new int[numSeqs], seqLens = new int[numSeqs], slots = new int[numSeqs];
        int[] queryStartLoc = new int[numSeqs + 1], rows = new int[numSeqs];
        int[][] blockTables = new int[numSeqs][];
        for (int s = 0; s < numSeqs; s++) {
            positions[s] = seqLen - 1;
            seqLens[s] = seqLen;
            slots[s] = -1;
            queryStartLoc[s + 1] = s + 1;
            rows[s] = s;
            blockTables[s] = new int[(seqLen + blockSize - 1) / blockSize];
        }
        return new ForwardBatch(new int[numSeqs], positions, queryStartLoc, seqLens, blockTables, slots, rows);
    }

    private static int key(int size, int numKvSplits) {
        return size * 64 + numKvSplits;
    }

    /** GPU time of replaying the graph of {@code size} (already captured) {@code repeats} times back to back, ms per replay. */
    double replayMillis(int size, int repeats) {
        CUgraphExec exec = latestForSize.get(size);
        jcuda.driver.CUevent start = new jcuda.driver.CUevent(), stop = new jcuda.driver.CUevent();
        cuEventCreate(start, 0);
        cuEventCreate(stop, 0);
        cuEventRecord(start, cuda.stream);
        for (int i = 0; i < repeats; i++) cuGraphLaunch(exec, cuda.stream);
        cuEventRecord(stop, cuda.stream);
        cuEventSynchronize(stop);
        float[] ms = new float[1];
        cuEventElapsedTime(ms, start, stop);
        cuEventDestroy(start);
        cuEventDestroy(stop);
        return ms[0] / repeats;
    }

    /** Number of graphs captured so far. */
    int numCaptured() {
        return execs.size();
    }

    static int paddedSize(int numSeqs) {
        for (int size : CAPTURE_SIZES) if (size >= numSeqs) return size;
        throw new IllegalArgumentException(numSeqs + " sequences > " + MAX_BATCH);
    }

    private CUgraphExec capture(int size, int numKvSplits, CudaKvCache cache) {
        long base = ints.address();
        DeviceBatch d = new DeviceBatch(base + 4L * TOKEN_IDS, base + 4L * POSITIONS, base + 4L * SLOT_MAPPING,
                base + 4L * QUERY_START_LOC, base + 4L * SEQ_LENS, base + 4L * LOGITS_INDICES, tables.address(),
                blockTableStride, size, size, size, numKvSplits);
        // Run once eagerly on the graph's own buffers first (the current step is already uploaded, so
        // this computes it; the replay below writes the same K/V again): every kernel and cuBLAS
        // algorithm for these shapes gets loaded outside the capture.
        pass.enqueue(d, ws, cache);
        cuda.synchronize();
        CUgraph graph = new CUgraph();
        cuStreamBeginCapture(cuda.stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED);
        try {
            pass.enqueue(d, ws, cache);
        } finally {
            cuStreamEndCapture(cuda.stream, graph);
        }
        graphs.add(graph);
        CUgraphExec exec = new CUgraphExec();
        cuGraphInstantiate(exec, graph, 0);
        return exec;
    }

    /** The block-table row stride: a sequence can have at most max_position_embeddings tokens, or all the blocks. */
    private int strideFor(CudaKvCache cache) {
        int maxLen = Math.max(1, pass.config.maxPositionEmbeddings());
        return Math.max(1, Math.min(cache.numBlocks, (maxLen + cache.blockSize - 1) / cache.blockSize));
    }

    /** Drops the graphs (they point at the old cache) and lays out the batch buffer for {@code cache}. */
    private void reset(CudaKvCache cache) {
        destroyGraphs();
        capturedFor = cache;
        blockTableStride = strideFor(cache);
        cuda.free(ints);
        cuda.free(tables);
        ints = cuda.allocate(4L * NUM_INTS);
        tables = cuda.allocate(4L * MAX_BATCH * blockTableStride);
        cuda.zero(ints);
        cuda.zero(tables);
        stagedInts.ensure(4L * NUM_INTS);
        if (ws == null) ws = new CudaWorkspace(cuda, pass.config, MAX_BATCH, MAX_BATCH);
    }

    private void destroyGraphs() {
        for (CUgraphExec e : execs.values()) cuGraphExecDestroy(e);
        for (CUgraph g : graphs) cuGraphDestroy(g);
        execs.clear();
        latestForSize.clear();
        graphs.clear();
    }

    /** Drops the captured graphs (they are captured again when next needed). */
    void dropGraphs() {
        destroyGraphs();
    }

    void close() {
        destroyGraphs();
        stagedLogits.close();
        stagedInts.close();
        stagedTables.close();
    }
}
