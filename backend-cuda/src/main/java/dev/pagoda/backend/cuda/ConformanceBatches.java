package dev.pagoda.backend.cuda;

import dev.pagoda.engine.backend.ForwardBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Builds {@link ForwardBatch}es for several sequences at once, as a scheduler would: the inputs of
 * the conformance cases ({@link ConformanceCases}), shared by the tests and {@code ./pagoda conformance}.
 *
 * <p>Worked example (blockSize 4, block table {@code [7, 2]}): position 5 lies in logical block
 * 5 / 4 = 1, which is physical block 2, at offset 5 % 4 = 1, so its K/V go to slot 2 * 4 + 1 = 9.
 */
public final class ConformanceBatches {
    private ConformanceBatches() {}

    /**
     * One sequence: all its tokens (only those of the step are read) and its block table.
     *
     * @param tokens     {@code [seqLen]}
     * @param blockTable {@code [numLogicalBlocks]} physical block ids in logical order
     */
    public record Seq(int[] tokens, int[] blockTable) {}

    /** Random token ids in {@code [0, vocabSize)}. */
    public static int[] randomTokens(int n, int vocabSize, long seed) {
        Random r = new Random(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(vocabSize);
        return ids;
    }

    /**
     * Block tables for sequences of the given lengths, drawn without overlap from a shuffled
     * {@code [0, numBlocks)}: neither contiguous nor increasing (the first two are swapped if they
     * happen to be in order), so a kernel that assumes either is caught.
     */
    public static List<int[]> scatteredTables(int[] seqLens, int blockSize, int numBlocks, long seed) {
        List<Integer> ids = new ArrayList<>();
        for (int b = 0; b < numBlocks; b++) ids.add(b);
        Collections.shuffle(ids, new Random(seed));
        List<int[]> tables = new ArrayList<>();
        int next = 0;
        for (int len : seqLens) {
            int[] table = new int[(len + blockSize - 1) / blockSize];
            for (int i = 0; i < table.length; i++) table[i] = ids.get(next++);
            if (table.length >= 2 && table[0] < table[1]) {
                int t = table[0];
                table[0] = table[1];
                table[1] = t;
            }
            tables.add(table);
        }
        return tables;
    }

    /**
     * {@code count} sequences of {@code maxLen} random tokens (seeds {@code seed}, {@code seed + 1}, …),
     * each with room for all of them on {@link #scatteredTables}.
     */
    public static List<Seq> randomSequences(int count, int maxLen, int vocabSize, long seed, int blockSize, int numBlocks) {
        int[] lens = new int[count];
        Arrays.fill(lens, maxLen);
        List<int[]> tables = scatteredTables(lens, blockSize, numBlocks, 8);
        List<Seq> seqs = new ArrayList<>();
        for (int s = 0; s < count; s++) seqs.add(new Seq(randomTokens(maxLen, vocabSize, seed + s), tables.get(s)));
        return seqs;
    }

    /**
     * One step: sequence {@code i} appends {@code tokens[starts[i] ..< starts[i] + counts[i]]} on top
     * of its first {@code starts[i]} tokens, already cached. Logits are asked for at every row.
     */
    public static ForwardBatch step(int blockSize, List<Seq> seqs, int[] starts, int[] counts) {
        int numSeqs = seqs.size(), numTokens = 0;
        for (int c : counts) numTokens += c;
        int[] tokenIds = new int[numTokens], positions = new int[numTokens], slotMapping = new int[numTokens];
        int[] queryStartLoc = new int[numSeqs + 1], seqLens = new int[numSeqs], logitsIndices = new int[numTokens];
        int[][] blockTables = new int[numSeqs][];
        int row = 0;
        for (int s = 0; s < numSeqs; s++) {
            Seq seq = seqs.get(s);
            queryStartLoc[s] = row;
            for (int i = 0; i < counts[s]; i++, row++) {
                int position = starts[s] + i;
                tokenIds[row] = seq.tokens()[position];
                positions[row] = position;
                slotMapping[row] = seq.blockTable()[position / blockSize] * blockSize + position % blockSize;
                logitsIndices[row] = row;
            }
            seqLens[s] = starts[s] + counts[s];
            blockTables[s] = seq.blockTable().clone();
        }
        queryStartLoc[numSeqs] = row;
        return new ForwardBatch(tokenIds, positions, queryStartLoc, seqLens, blockTables, slotMapping, logitsIndices);
    }
}
