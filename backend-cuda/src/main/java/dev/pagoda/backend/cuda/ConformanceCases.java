package dev.pagoda.backend.cuda;

import dev.pagoda.engine.backend.ForwardBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * The cases of the conformance suite, defined once for the tests (conformance/…/cuda) and for
 * {@code ./pagoda conformance}: three sequences of {@link #SEQ_LEN} random tokens, their KV blocks
 * scattered over a cache of {@link #NUM_BLOCKS} blocks (neither contiguous nor increasing), and
 * five ways to compute them:
 * <ol>
 *   <li>prefill: sequence a in one step;
 *   <li>prefix-cache hit: sequence c shares a's first full blocks (their ids too) and starts after
 *       them, attending to K/V that a's prefill wrote (so it runs right after the prefill, on the same cache);
 *   <li>decode: a one token per step;
 *   <li>chunked prefill: a in chunks of 9 tokens (they straddle block boundaries);
 *   <li>mixed batch: a and b in the same steps, prefill chunks beside decodes, both with cached context.
 * </ol>
 * Every row of every step asks for logits, so every position is compared.
 *
 * <p>Worked example of a slot (blockSize 4, block table {@code [7, 2]}): position 5 lies in logical
 * block 1, physical block 2, offset 1, so its K/V go to slot 2 * 4 + 1 = 9.
 */
public final class ConformanceCases {
    /** Tokens per sequence: past llama3-rope-gqa4's original_max_position_embeddings (64), so RoPE scaling matters. */
    public static final int SEQ_LEN = 70;
    /** Blocks in the cache the block tables are drawn from. */
    public static final int NUM_BLOCKS = 64;
    /** The block sizes every model is checked with. */
    public static final List<Integer> BLOCK_SIZES = List.of(8, 16, 32);
    /** Sequence indices in {@link Plan#sequences()}. */
    public static final int A = 0, B = 1, C = 2;

    private ConformanceCases() {}

    /**
     * One forward step and what each of its logits rows is.
     *
     * @param rowSequence {@code [numLogits]} the sequence (A, B or C) of each logits row
     * @param rowPosition {@code [numLogits]} the position of each logits row within its sequence
     */
    public record Step(ForwardBatch batch, int[] rowSequence, int[] rowPosition) {}

    /**
     * @param freshCache true: the caches are emptied before the case; false: it reads what the case before it wrote
     * @param coversA    true: the case computes every position of sequence a (its logits can be compared with the prefill's)
     */
    public record Case(String name, boolean freshCache, boolean coversA, List<Step> steps) {}

    /**
     * Everything one block size runs.
     *
     * @param sequences {@code [3][SEQ_LEN]} the token ids of a, b and c
     */
    public record Plan(int blockSize, List<int[]> sequences, List<Case> cases) {}

    /** The three sequences (the same for every block size, so a reference computes them once). */
    public static List<int[]> sequences(int vocabSize) {
        int[] a = ConformanceBatches.randomTokens(SEQ_LEN, vocabSize, 22);
        int[] b = ConformanceBatches.randomTokens(SEQ_LEN, vocabSize, 76);
        int[] c = ConformanceBatches.randomTokens(SEQ_LEN, vocabSize, 616);
        System.arraycopy(a, 0, c, 0, SEQ_LEN / 2); // c's first full blocks are a's (how many depends on the block size)
        return List.of(a, b, c);
    }

    /** The cases at {@code blockSize}, in the order they must run. */
    public static Plan plan(int blockSize, int vocabSize) {
        List<int[]> tokens = sequences(vocabSize);
        List<int[]> tables = ConformanceBatches.scatteredTables(new int[] {SEQ_LEN, SEQ_LEN, SEQ_LEN}, blockSize, NUM_BLOCKS, blockSize);
        int shared = SEQ_LEN / 2 / blockSize * blockSize; // full blocks of a that c reuses
        int[] cTable = tables.get(C).clone();
        System.arraycopy(tables.get(A), 0, cTable, 0, shared / blockSize);
        List<ConformanceBatches.Seq> seqs = List.of(new ConformanceBatches.Seq(tokens.get(A), tables.get(A)),
                new ConformanceBatches.Seq(tokens.get(B), tables.get(B)), new ConformanceBatches.Seq(tokens.get(C), cTable));

        List<Case> cases = new ArrayList<>();
        cases.add(new Case("prefill", true, true, List.of(step(blockSize, seqs, new int[] {A}, new int[] {0}, new int[] {SEQ_LEN}))));
        cases.add(new Case("prefix-cache hit (" + shared + " tokens cached)", false, false,
                List.of(step(blockSize, seqs, new int[] {C}, new int[] {shared}, new int[] {SEQ_LEN - shared}))));
        List<Step> decode = new ArrayList<>();
        for (int p = 0; p < SEQ_LEN; p++) decode.add(step(blockSize, seqs, new int[] {A}, new int[] {p}, new int[] {1}));
        cases.add(new Case("decode", true, true, decode));
        List<Step> chunked = new ArrayList<>();
        for (int p = 0; p < SEQ_LEN; p += 9) chunked.add(step(blockSize, seqs, new int[] {A}, new int[] {p}, new int[] {Math.min(9, SEQ_LEN - p)}));
        cases.add(new Case("chunked prefill (chunks of 9)", true, true, chunked));
        List<Step> mixed = new ArrayList<>();
        int[][] schedule = { // {startA, countA, startB, countB}
                {0, 20, 0, 13}, {20, 1, 13, 11}, {21, 17, 24, 1}, {38, 1, 25, 30}, {39, 31, 55, 15}};
        for (int[] s : schedule) mixed.add(step(blockSize, seqs, new int[] {A, B}, new int[] {s[0], s[2]}, new int[] {s[1], s[3]}));
        cases.add(new Case("mixed batch (2 sequences)", true, true, mixed));
        return new Plan(blockSize, tokens, List.copyOf(cases));
    }

    private static Step step(int blockSize, List<ConformanceBatches.Seq> all, int[] which, int[] starts, int[] counts) {
        List<ConformanceBatches.Seq> seqs = new ArrayList<>();
        for (int s : which) seqs.add(all.get(s));
        ForwardBatch batch = ConformanceBatches.step(blockSize, seqs, starts, counts);
        int[] rowSequence = new int[batch.numTokens()], rowPosition = new int[batch.numTokens()];
        for (int i = 0, row = 0; i < which.length; i++) {
            for (int j = 0; j < counts[i]; j++, row++) {
                rowSequence[row] = which[i];
                rowPosition[row] = starts[i] + j;
            }
        }
        return new Step(batch, rowSequence, rowPosition);
    }
}
