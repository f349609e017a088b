package dev.pagoda.backend.cpu;

import dev.pagoda.engine.backend.ForwardBatch;
import java.util.ArrayList;
import java.util.List;

/** Builds {@link ForwardBatch}es the way a scheduler would, for tests. */
final class TestBatches {
    private TestBatches() {}

    /**
     * One sequence's share of a step: its tokens {@code [numComputed, numComputed + numNew)} are new.
     *
     * @param tokens     all tokens of the sequence known so far
     * @param blockTable physical block ids, logical order
     */
    record Step(int[] tokens, int[] blockTable, int numComputed, int numNew) {}

    /** A batch of {@code steps}, asking for the logits of every new row. */
    static ForwardBatch batch(int blockSize, List<Step> steps) {
        int numTokens = steps.stream().mapToInt(Step::numNew).sum();
        int[] tokenIds = new int[numTokens], positions = new int[numTokens], slotMapping = new int[numTokens];
        int[] queryStartLoc = new int[steps.size() + 1], seqLens = new int[steps.size()];
        int[][] blockTables = new int[steps.size()][];
        List<Integer> logits = new ArrayList<>();
        int row = 0;
        for (int s = 0; s < steps.size(); s++) {
            Step st = steps.get(s);
            for (int i = 0; i < st.numNew(); i++, row++) {
                int pos = st.numComputed() + i;
                tokenIds[row] = st.tokens()[pos];
                positions[row] = pos;
                slotMapping[row] = st.blockTable()[pos / blockSize] * blockSize + pos % blockSize;
                logits.add(row);
            }
            queryStartLoc[s + 1] = row;
            seqLens[s] = st.numComputed() + st.numNew();
            blockTables[s] = st.blockTable();
        }
        return new ForwardBatch(tokenIds, positions, queryStartLoc, seqLens, blockTables, slotMapping,
                logits.stream().mapToInt(Integer::intValue).toArray());
    }
}
