package dev.pagoda.engine.tokenizer;

/**
 * The BPE merge rules as an open-addressing hash table from a pair of token ids to its rank (the
 * line number in {@code merges}; lower merges first) and the id of the merged token. Keys are the
 * two ids packed in a {@code long}, so the hot merge loop never boxes or allocates.
 */
final class MergeTable {
    private static final long EMPTY = -1L;

    /** [capacity] packed (left &lt;&lt; 32 | right), or EMPTY. */
    private final long[] keys;
    /** [capacity] rank of the merge at the same slot. */
    private final int[] ranks;
    /** [capacity] id of the merged token at the same slot. */
    private final int[] merged;
    private final int mask;
    private int size;

    MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        java.util.Arrays.fill(keys, EMPTY);
        ranks = new int[capacity];
        merged = new int[capacity];
        mask = capacity - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        int i = (int) (h >>> 40) & mask;
        while (keys[i] != EMPTY && keys[i] != key) i = (i + 1) & mask;
        return i;
    }

    /** Adds a rule; a repeated pair takes the later rank, as Hugging Face's map collection does. */
    void put(int left, int right, int rank, int mergedId) {
        long k = key(left, right);
        int i = slot(k);
        if (keys[i] != k) size++;
        keys[i] = k;
        ranks[i] = rank;
        merged[i] = mergedId;
    }

    /** The slot of a pair, or -1 if the pair never merges. */
    int find(int left, int right) {
        long k = key(left, right);
        int i = slot(k);
        return keys[i] == k ? i : -1;
    }

    int rankAt(int slot) {
        return ranks[slot];
    }

    int mergedAt(int slot) {
        return merged[slot];
    }

    int size() {
        return size;
    }
}
