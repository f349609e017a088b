package dev.pagoda.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link PagedAttention} against {@link NaiveAttention}: the same keys and values, once scattered
 * over random, non-contiguous blocks of a paged cache, once contiguous. One batch mixes a decode
 * with a single token of context, a long decode, a chunked prefill (context already cached) and a
 * fresh prefill.
 */
class PagedAttentionTest {

    static List<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        for (int blockSize : new int[] {1, 4, 16}) {
            for (int headSize : new int[] {16, 64, 80}) {
                for (int queriesPerKv : new int[] {1, 2, 4}) out.add(Arguments.of(blockSize, headSize, queriesPerKv));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "blockSize={0} headSize={1} queriesPerKv={2}")
    @MethodSource("shapes")
    void pagedMatchesContiguous(int blockSize, int headSize, int queriesPerKv) {
        int numKvHeads = 2, numHeads = numKvHeads * queriesPerKv;
        int[] seqLens = {2, 37, 23, 13};
        int[] queryLens = {1, 1, 9, 13};
        int numSeqs = seqLens.length;
        float scale = (float) (1 / Math.sqrt(headSize));
        SplittableRandom rnd = new SplittableRandom(blockSize * 1000L + headSize * 10L + queriesPerKv);

        // Hand out physical blocks in a shuffled order, with spare blocks left unused.
        int blocksNeeded = 0;
        for (int len : seqLens) blocksNeeded += (len + blockSize - 1) / blockSize;
        int numBlocks = blocksNeeded + 7;
        List<Integer> free = new ArrayList<>();
        for (int b = 0; b < numBlocks; b++) free.add(b);
        Collections.shuffle(free, new java.util.Random(rnd.nextLong()));
        int[][] blockTables = new int[numSeqs][];
        for (int s = 0; s < numSeqs; s++) {
            blockTables[s] = new int[(seqLens[s] + blockSize - 1) / blockSize + 1]; // one spare entry, as a scheduler may leave
            for (int i = 0; i < blockTables[s].length; i++) blockTables[s][i] = free.removeFirst();
        }

        int kvSize = numKvHeads * headSize, qSize = numHeads * headSize;
        int numTokens = 0;
        int[] queryStartLoc = new int[numSeqs + 1];
        for (int s = 0; s < numSeqs; s++) queryStartLoc[s + 1] = numTokens += queryLens[s];
        float[] query = new float[numTokens * qSize];
        for (int i = 0; i < query.length; i++) query[i] = (float) rnd.nextDouble(-1, 1);

        float[][] keys = new float[numSeqs][], values = new float[numSeqs][];
        try (PagedKvCache cache = new PagedKvCache(1, numBlocks, blockSize, numKvHeads, headSize);
             WorkerPool pool = new WorkerPool(2)) {
            for (int s = 0; s < numSeqs; s++) {
                keys[s] = new float[seqLens[s] * kvSize];
                values[s] = new float[seqLens[s] * kvSize];
                for (int i = 0; i < keys[s].length; i++) {
                    keys[s][i] = (float) rnd.nextDouble(-2, 2);
                    values[s][i] = (float) rnd.nextDouble(-1, 1);
                }
                for (int pos = 0; pos < seqLens[s]; pos++) {
                    int slot = blockTables[s][pos / blockSize] * blockSize + pos % blockSize;
                    cache.write(0, slot, keys[s], pos * kvSize, values[s], pos * kvSize);
                }
            }
            float[] out = new float[numTokens * qSize];
            PagedAttention.forward(pool, query, out, cache.keyCache[0], cache.valueCache[0], queryStartLoc, seqLens, blockTables,
                    numHeads, numKvHeads, headSize, blockSize, scale, new float[2][]);

            for (int s = 0; s < numSeqs; s++) {
                float[] q = java.util.Arrays.copyOfRange(query, queryStartLoc[s] * qSize, queryStartLoc[s + 1] * qSize);
                float[] expected = NaiveAttention.attention(q, keys[s], values[s], queryLens[s], seqLens[s], numHeads, numKvHeads, headSize, scale);
                float[] actual = java.util.Arrays.copyOfRange(out, queryStartLoc[s] * qSize, queryStartLoc[s + 1] * qSize);
                double err = NaiveOps.relativeError(actual, expected);
                assertTrue(err < 1e-5, "sequence " + s + ": relative error " + err);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void workedExampleOfTheDesign() {
        // blockSize 4, block table [7, 2]: position 5 → logical block 1 → physical block 2, offset 1 → slot 9.
        int[] blockTable = {7, 2};
        long bytes = PagedAttention.kvByteOffset(5, blockTable, 4, 1, 0, 1);
        org.junit.jupiter.api.Assertions.assertEquals(9 * Float.BYTES, bytes);
    }
}
