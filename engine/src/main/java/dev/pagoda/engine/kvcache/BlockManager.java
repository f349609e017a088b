package dev.pagoda.engine.kvcache;

import dev.pagoda.engine.sequence.Sequence;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which KV blocks each sequence has (vLLM's {@code KVCacheManager}, nano-vllm's {@code BlockManager}).
 * The scheduler asks it three things:
 *
 * <ol>
 *   <li>{@link #getComputedBlocks}: before admitting a sequence, how much of it is already in the
 *       cache? Walks the chain of its full blocks' {@link BlockHash}es while the pool has them.</li>
 *   <li>{@link #allocateSlots}: give the sequence enough blocks for its computed tokens plus
 *       {@code numNewTokens} more (reusing the hit blocks). Fails, changing nothing, when the pool
 *       is short: the scheduler then preempts someone or waits.</li>
 *   <li>{@link #free}: the sequence finished or was preempted; its blocks go back to the pool,
 *       keeping their hashes.</li>
 * </ol>
 *
 * <p>Worked example (blockSize 4, 10 free blocks, empty cache). Sequence A has the 10-token prompt
 * {@code a0..a9}: no hit; {@code allocateSlots(A, 10)} takes blocks 0, 1, 2 and caches 0 and 1
 * (full). A finishes: {@code free(A)} puts the partial block 2 at the front of the free queue and
 * appends 1, 0 at the back (tail of the prompt first, so it is evicted first): 2, 3, …, 9, 1, 0.
 * Sequence B has the prompt {@code a0..a7 b8 b9}: its first two block hashes match blocks 0 and 1,
 * so {@code getComputedBlocks(B)} returns them (8 tokens) and B computes only {@code b8 b9}, in the
 * block at the front of the free queue, 2.
 *
 * <p>A hit never covers the last token of a sequence: the step must compute at least one token to
 * get the logits to sample from.
 *
 * <p>Blocks are registered in the prefix cache when they are <em>allocated</em> for the tokens that
 * will fill them, as in vLLM, not after the forward pass. So a sequence admitted later in the same
 * step (typically a sibling of an {@code n > 1} request) may hit a block whose keys and values this
 * very forward pass writes. That is sound because a backend writes every new token's K/V of a layer
 * before that layer's attention reads the cache (the CPU backend does; a CUDA backend must too).
 */
public final class BlockManager {
    private final BlockPool pool;
    private final int blockSize;
    private final Map<Long, SeqBlocks> seqBlocks = new HashMap<>(); // by seqId; only sequences that hold blocks
    private long prefixCacheRequests, prefixCacheQueries, prefixCacheHits;

    /** The blocks of one sequence and how many of them are registered in the prefix cache. */
    private static final class SeqBlocks {
        final List<KvBlock> blocks = new ArrayList<>();       // logical order: the block table
        final List<BlockHash> blockHashes = new ArrayList<>(); // of the first full blocks, grown on demand
        int numCachedBlocks;                                   // blocks 0 ..< this went through cacheFullBlock
        int[] blockIds = new int[8];                           // [capacity] blocks' ids, the first blocks.size() in use:
                                                               // read every step, so kept beside the list

        void append(List<KvBlock> added) {
            int n = blocks.size();
            if (n + added.size() > blockIds.length) blockIds = Arrays.copyOf(blockIds, Math.max(2 * blockIds.length, n + added.size()));
            for (KvBlock b : added) blockIds[n++] = b.blockId();
            blocks.addAll(added);
        }
    }

    public BlockManager(int numBlocks, int blockSize) {
        if (blockSize < 1) throw new IllegalArgumentException("blockSize must be at least 1, got " + blockSize);
        this.pool = new BlockPool(numBlocks);
        this.blockSize = blockSize;
    }

    public int blockSize() { return blockSize; }
    public int numBlocks() { return pool.numBlocks(); }
    public int numFreeBlocks() { return pool.numFreeBlocks(); }
    public BlockPool pool() { return pool; }

    /** Fraction of blocks in use (not counting free cached ones). */
    public double usage() {
        return 1.0 - (double) pool.numFreeBlocks() / pool.numBlocks();
    }

    /**
     * The longest run of cached full blocks at the start of {@code seq}, never covering its last
     * token. Call only for a sequence without blocks. The lookup is counted in {@link #prefixCacheStats()}
     * when the sequence is admitted ({@link #allocateSlots} succeeds with it), so that a sequence
     * that waits several steps for room is counted once.
     */
    // region: prefix-lookup
    public ComputedBlocks getComputedBlocks(Sequence seq) {
        if (seqBlocks.containsKey(seq.seqId())) throw new IllegalStateException(seq + " already has blocks");
        int maxHitBlocks = (seq.numTokens() - 1) / blockSize; // leave at least one token to compute
        List<BlockHash> hashes = blockHashes(seq, maxHitBlocks, new ArrayList<>());
        List<KvBlock> hits = new ArrayList<>();
        for (BlockHash h : hashes) {
            KvBlock b = pool.getCachedBlock(h);
            if (b == null) break;
            hits.add(b);
        }
        return hits.isEmpty() ? ComputedBlocks.NONE : new ComputedBlocks(hits, hits.size() * blockSize);
    }
    // endregion

    /**
     * Makes room for {@code numNewTokens} more tokens of {@code seq} after its computed ones (and
     * after {@code hit}'s tokens, for a sequence being admitted). Returns false, changing nothing,
     * when the pool has too few free blocks. On success, every block that will be full once this
     * step's tokens are computed is registered in the prefix cache.
     *
     * @param hit the prefix-cache hit from {@link #getComputedBlocks} when admitting; {@link ComputedBlocks#NONE} otherwise
     */
    public boolean allocateSlots(Sequence seq, int numNewTokens, ComputedBlocks hit) {
        SeqBlocks state = seqBlocks.get(seq.seqId());
        if (state != null && !hit.blocks().isEmpty()) throw new IllegalStateException(seq + " already has blocks; a hit is only for admission");
        int numTokensAfter = seq.numComputedTokens() + hit.numComputedTokens() + numNewTokens;
        if (numTokensAfter > seq.numTokens()) {
            throw new IllegalArgumentException(seq + ": cannot compute " + numNewTokens + " more tokens");
        }
        int numHeld = state == null ? 0 : state.blocks.size();
        int numBlocksToAllocate = Math.max(0, BlockTable.blocksNeeded(numTokensAfter, blockSize) - numHeld - hit.blocks().size());
        // Hit blocks that nobody uses are counted as free but stop being free once touched.
        int numFreeHits = 0;
        for (KvBlock b : hit.blocks()) if (b.refCount() == 0) numFreeHits++;
        if (numBlocksToAllocate > pool.numFreeBlocks() - numFreeHits) return false;

        if (state == null) { // admission: count the prefix-cache lookup
            prefixCacheRequests++;
            prefixCacheQueries += seq.numTokens();
            prefixCacheHits += hit.numComputedTokens();
            state = new SeqBlocks();
            seqBlocks.put(seq.seqId(), state);
        }
        pool.touch(hit.blocks());
        state.append(hit.blocks());
        state.numCachedBlocks += hit.blocks().size();
        if (numBlocksToAllocate > 0) state.append(List.of(pool.getNewBlocks(numBlocksToAllocate)));
        cacheFullBlocks(seq, state, numTokensAfter / blockSize);
        return true;
    }

    /** Returns {@code seq}'s blocks to the pool, last block first (evicted first). No-op if it has none. */
    public void free(Sequence seq) {
        SeqBlocks state = seqBlocks.remove(seq.seqId());
        if (state == null) return;
        pool.freeBlocks(state.blocks.reversed());
    }

    /** {@code seq}'s block table (empty when it holds no blocks). */
    public BlockTable blockTable(Sequence seq) {
        return new BlockTable(blockSize, blockIds(seq));
    }

    /** {@code seq}'s physical block ids in logical order. */
    public int[] blockIds(Sequence seq) {
        SeqBlocks state = seqBlocks.get(seq.seqId());
        if (state == null) return new int[0];
        return Arrays.copyOf(state.blockIds, state.blocks.size());
    }

    /** Whether {@code seq} holds blocks. */
    public boolean hasBlocks(Sequence seq) {
        return seqBlocks.containsKey(seq.seqId());
    }

    public PrefixCacheStats prefixCacheStats() {
        return new PrefixCacheStats(prefixCacheRequests, prefixCacheQueries, prefixCacheHits);
    }

    /** The held blocks of every sequence, by seqId (for {@link KvCacheInvariants}). */
    Map<Long, List<KvBlock>> blocksBySeq() {
        Map<Long, List<KvBlock>> out = new HashMap<>();
        seqBlocks.forEach((id, s) -> out.put(id, List.copyOf(s.blocks)));
        return out;
    }

    /** Registers blocks {@code state.numCachedBlocks ..< numFullBlocks} of {@code seq} under their hashes. */
    private void cacheFullBlocks(Sequence seq, SeqBlocks state, int numFullBlocks) {
        if (numFullBlocks <= state.numCachedBlocks) return;
        blockHashes(seq, numFullBlocks, state.blockHashes);
        for (int i = state.numCachedBlocks; i < numFullBlocks; i++) {
            pool.cacheFullBlock(state.blocks.get(i), state.blockHashes.get(i));
        }
        state.numCachedBlocks = numFullBlocks;
    }

    /** Extends {@code hashes} (the chain of {@code seq}'s first blocks) to {@code numBlocks} entries. */
    private List<BlockHash> blockHashes(Sequence seq, int numBlocks, List<BlockHash> hashes) {
        for (int i = hashes.size(); i < numBlocks; i++) {
            BlockHash parent = i == 0 ? null : hashes.get(i - 1);
            hashes.add(BlockHash.of(parent, seq.tokenIds(i * blockSize, (i + 1) * blockSize), 0, blockSize, seq.cacheSalt()));
        }
        return hashes;
    }
}
