package dev.pagoda.engine.sampling;

import java.util.Arrays;
import java.util.Set;

/**
 * Samples one logits row at a time with its own {@code [vocabSize]} workspaces: the per-thread
 * half of {@link Sampler}. The random number for the row comes in from outside, so the result of a
 * row depends only on its logits, its {@link SamplingRow} and that number.
 */
final class RowSampler {
    /** Rows are drawn block by block: a first pass sums blocks, the walk then visits one block. */
    static final int DRAW_BLOCK = 256;

    private final Set<Integer> eosTokenIds;
    private int vocabSize = -1;
    private float[] work;       // [vocabSize] the row being processed
    private float[] weights;    // [vocabSize] exp(x - max) of the row being drawn from; 0 = removed
    private float[] scratch;    // [vocabSize] selection workspace
    private int[] seen;         // [vocabSize] repetition-penalty stamps
    private int[] counts;       // [vocabSize] output token counts, zero between rows
    private int[] intScratch;   // [vocabSize] exponents for FastExp
    private float[] expScratch; // [vocabSize] exponentials for logprobs
    private double[] blockSums; // [ceil(vocabSize / DRAW_BLOCK)]
    private final TopPCutoff topPCutoff = new TopPCutoff();
    private final float[] heap = new float[Selection.MAX_HEAP_K];
    private int stamp;

    RowSampler(Set<Integer> eosTokenIds) {
        this.eosTokenIds = eosTokenIds;
    }

    /**
     * @param raw   {@code [numRows, vocabSize]} logits, not modified
     * @param base  offset of this row in {@code raw}
     * @param u     uniform in [0, 1) for a random row (ignored by greedy rows)
     * @param out   where to put this row's logprobs (index {@code r}), when requested
     * @return the sampled token id
     */
    int sample(float[] raw, int base, int vocabSize, SamplingRow row, double u, TokenLogprobs[] out, int r) {
        ensureCapacity(vocabSize);
        SamplingParams p = row.params();
        LogprobsMode mode = p.logprobsMode();
        int topN = p.logprobs().isPresent() ? (p.logprobs().getAsInt() == -1 ? vocabSize : p.logprobs().getAsInt()) : -1;
        boolean wantProcessed = topN >= 0 && mode.processed();

        int token;
        if (p.greedy() && !p.needsLogitsProcessing() && !wantProcessed) {
            token = LogitsProcessors.argmax(raw, base, vocabSize); // exactly argmax(raw logits)
        } else {
            System.arraycopy(raw, base, work, 0, vocabSize);
            process(p, row);
            if (p.greedy()) {
                token = LogitsProcessors.argmax(work, 0, vocabSize);
            } else {
                LogitsProcessors.applyTemperature(work, vocabSize, (float) p.temperature());
                if (p.minP() > 0) LogitsProcessors.applyMinP(work, vocabSize, p.minP());
                if (p.topK() > 0 && p.topK() < vocabSize) LogitsProcessors.applyTopK(work, vocabSize, p.topK(), scratch, heap);
                LogitsProcessors.weights(work, vocabSize, weights, intScratch);
                if (p.topP() < 1.0) LogitsProcessors.applyTopP(work, weights, vocabSize, p.topP(), topPCutoff);
                token = drawInverseCdf(weights, vocabSize, u, blockSums);
            }
        }
        if (topN >= 0) {
            out[r] = wantProcessed
                    ? LogprobsCalculator.compute(work, 0, vocabSize, token, topN, mode.logprobs(), expScratch, intScratch)
                    : LogprobsCalculator.compute(raw, base, vocabSize, token, topN, mode.logprobs(), expScratch, intScratch);
        }
        return token;
    }

    /** Logit bias, min_tokens, penalties, on {@code work}. */
    private void process(SamplingParams p, SamplingRow row) {
        int[] prompt = row.promptTokenIds(), output = row.outputTokenIds();
        if (!p.logitBias().isEmpty()) {
            for (int id : p.logitBias().keySet()) checkToken(id, vocabSize, "logit_bias id");
            LogitsProcessors.applyLogitBias(work, p.logitBias());
        }
        if (row.numOutputTokens() < p.minTokens()) LogitsProcessors.maskTokens(work, stopTokens(p));
        if (p.readsTokenHistory()) {
            if (p.repetitionPenalty() != 1.0) for (int id : prompt) checkToken(id, vocabSize, "prompt token");
            for (int id : output) checkToken(id, vocabSize, "output token");
            if (++stamp == 0) { // wrapped after 2^32 rows: forget every stamp
                Arrays.fill(seen, 0);
                stamp = 1;
            }
            LogitsProcessors.applyPenalties(work, p, prompt, output, seen, stamp, counts);
        }
    }

    /** EOS ids and the request's stop_token_ids that exist in this vocabulary. */
    private int[] stopTokens(SamplingParams p) {
        int[] ids = new int[eosTokenIds.size() + p.stopTokenIds().size()];
        int n = 0;
        for (int id : eosTokenIds) if (id >= 0 && id < vocabSize) ids[n++] = id;
        for (int id : p.stopTokenIds()) if (id < vocabSize) ids[n++] = id;
        return Arrays.copyOf(ids, n);
    }

    /**
     * Inverse-CDF draw: the first id (in id order) whose running weight exceeds {@code u × total}.
     * Block sums first, so the walk touches the block sums and one block instead of the whole row.
     * With every weight 0 (everything masked) it returns 0.
     *
     * @param weights   {@code [vocabSize]} unnormalized probabilities
     * @param blockSums {@code [ceil(vocabSize / DRAW_BLOCK)]} workspace
     */
    static int drawInverseCdf(float[] weights, int vocabSize, double u, double[] blockSums) {
        int numBlocks = (vocabSize + DRAW_BLOCK - 1) / DRAW_BLOCK;
        double total = 0;
        for (int b = 0; b < numBlocks; b++) {
            int from = b * DRAW_BLOCK, to = Math.min(vocabSize, from + DRAW_BLOCK);
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0; // four chains: the adds need not wait on each other
            int i = from;
            for (; i + 3 < to; i += 4) {
                s0 += weights[i];
                s1 += weights[i + 1];
                s2 += weights[i + 2];
                s3 += weights[i + 3];
            }
            for (; i < to; i++) s0 += weights[i];
            blockSums[b] = (double) s0 + s1 + s2 + s3;
            total += blockSums[b];
        }
        double target = u * total, running = 0;
        for (int b = 0; b < numBlocks; b++) {
            double s = blockSums[b];
            if (s == 0) continue;
            if (running + s <= target) { // the target lies past this block
                running += s;
                continue;
            }
            int last = -1;
            for (int i = b * DRAW_BLOCK, to = Math.min(vocabSize, i + DRAW_BLOCK); i < to; i++) {
                float w = weights[i];
                if (w == 0f) continue;
                running += w;
                last = i;
                if (running > target) return i;
            }
            return last; // rounding: the element sums fell just short of the block's sum
        }
        // Rounding: u × total reached the total. The last possible token; 0 when nothing is possible.
        for (int i = vocabSize - 1; i >= 0; i--) if (weights[i] != 0f) return i;
        return 0;
    }

    private void ensureCapacity(int vocabSize) {
        if (this.vocabSize == vocabSize) return;
        this.vocabSize = vocabSize;
        work = new float[vocabSize];
        weights = new float[vocabSize];
        scratch = new float[vocabSize];
        seen = new int[vocabSize];
        counts = new int[vocabSize];
        intScratch = new int[vocabSize];
        expScratch = new float[vocabSize];
        blockSums = new double[(vocabSize + DRAW_BLOCK - 1) / DRAW_BLOCK];
        stamp = 0;
    }

    static void checkToken(int id, int vocabSize, String what) {
        if (id < 0 || id >= vocabSize) throw new IllegalArgumentException(what + " " + id + " is outside the vocabulary [0, " + vocabSize + ")");
    }
}
