package dev.pagoda.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The paged KV cache, in the one layout every backend shares: per layer, K and V each
 * {@code [numBlocks, blockSize, numKvHeads, headSize]}, fp32 on the CPU.
 *
 * <p>A <em>slot</em> is one token's row: {@code slot = blockId * blockSize + offset}, so the keys of
 * kv-head {@code h} at slot {@code s} start at element {@code (s * numKvHeads + h) * headSize}.
 * The engine's block manager hands out block ids; this class only stores and finds rows.
 *
 * <p>The cache lives off the Java heap (like a GPU's), so its size is bounded by the engine's KV
 * budget and not by {@code -Xmx}.
 */
final class PagedKvCache implements AutoCloseable {

    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final int numLayers;
    final int numBlocks;
    final int blockSize;
    final int numKvHeads;
    final int headSize;
    /** {@code [numLayers]} of {@code [numBlocks, blockSize, numKvHeads, headSize]} fp32. */
    final MemorySegment[] keyCache;
    /** {@code [numLayers]} of {@code [numBlocks, blockSize, numKvHeads, headSize]} fp32. */
    final MemorySegment[] valueCache;
    private final Arena arena;

    PagedKvCache(int numLayers, int numBlocks, int blockSize, int numKvHeads, int headSize) {
        if (numBlocks <= 0 || blockSize <= 0) {
            throw new IllegalArgumentException("KV cache needs numBlocks > 0 and blockSize > 0, got " + numBlocks + ", " + blockSize);
        }
        this.numLayers = numLayers;
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
        this.numKvHeads = numKvHeads;
        this.headSize = headSize;
        this.arena = Arena.ofShared();
        long bytesPerLayer = bytesPerBlockPerLayer(blockSize, numKvHeads, headSize) / 2 * numBlocks;
        keyCache = new MemorySegment[numLayers];
        valueCache = new MemorySegment[numLayers];
        for (int l = 0; l < numLayers; l++) {
            keyCache[l] = arena.allocate(bytesPerLayer, 64); // zero-filled
            valueCache[l] = arena.allocate(bytesPerLayer, 64);
        }
    }

    /** Bytes of one block in one layer, K and V together. */
    static long bytesPerBlockPerLayer(int blockSize, int numKvHeads, int headSize) {
        return 2L * blockSize * numKvHeads * headSize * Float.BYTES;
    }

    int numSlots() {
        return numBlocks * blockSize;
    }

    /** Byte offset of kv-head {@code kvHead} of slot {@code slot} within a layer's K (or V) segment. */
    long byteOffset(int slot, int kvHead) {
        return ((long) slot * numKvHeads + kvHead) * headSize * Float.BYTES;
    }

    /**
     * Stores one token's keys and values at {@code slot} of layer {@code layer}.
     *
     * @param key   {@code [numKvHeads, headSize]} at {@code keyOff}
     * @param value {@code [numKvHeads, headSize]} at {@code valueOff}
     */
    void write(int layer, int slot, float[] key, int keyOff, float[] value, int valueOff) {
        int kvSize = numKvHeads * headSize;
        long at = byteOffset(slot, 0);
        MemorySegment.copy(key, keyOff, keyCache[layer], F32_LE, at, kvSize);
        MemorySegment.copy(value, valueOff, valueCache[layer], F32_LE, at, kvSize);
    }

    /**
     * Stores one kv-head of one token at {@code slot} of layer {@code layer}: {@code headSize} floats of
     * {@code src} at {@code srcOff} into the K cache ({@code isKey}) or the V cache. The same bytes as
     * {@link #write}, one head at a time, so that the thread that computed a head can store it.
     */
    void writeHead(int layer, int slot, int kvHead, boolean isKey, float[] src, int srcOff) {
        MemorySegment.copy(src, srcOff, (isKey ? keyCache : valueCache)[layer], F32_LE, byteOffset(slot, kvHead), headSize);
    }

    @Override
    public void close() {
        arena.close();
    }
}
