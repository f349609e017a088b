package dev.pagoda.engine.sampling;

/**
 * Builds a {@link TokenLogprobs} from one row of scores: log-softmax (or the scores themselves),
 * the chosen token's value and rank, and the top N. The log-softmax is {@code x - logSumExp(x)},
 * with the sum in double (terms from {@link FastExp}), so the top N are found on the raw scores (a monotone shift).
 */
final class LogprobsCalculator {
    private LogprobsCalculator() {}

    /**
     * @param x          scores, the row at {@code [offset, offset + vocabSize)}; -Infinity = impossible token
     * @param tokenId    the token whose value and rank to report
     * @param topN       N (≥ 0; ≥ vocabSize means all)
     * @param asLogprobs true: log-probabilities; false: the scores as given (logits modes)
     */
    static TokenLogprobs compute(float[] x, int offset, int vocabSize, int tokenId, int topN, boolean asLogprobs) {
        return compute(x, offset, vocabSize, tokenId, topN, asLogprobs, new float[vocabSize], new int[vocabSize]);
    }

    /** As above, with {@code [vocabSize]} workspaces for the exponentials. */
    static TokenLogprobs compute(float[] x, int offset, int vocabSize, int tokenId, int topN, boolean asLogprobs,
            float[] expScratch, int[] intScratch) {
        float tokenScore = x[offset + tokenId];
        int rank = rank(x, offset, vocabSize, tokenScore);
        double shift = asLogprobs ? logSumExp(x, offset, vocabSize, expScratch, intScratch) : 0.0;
        int[] top = TopN.select(x, offset, vocabSize, topN);
        float[] topValues = new float[top.length];
        for (int j = 0; j < top.length; j++) topValues[j] = (float) (x[offset + top[j]] - shift);
        return new TokenLogprobs(tokenId, (float) (tokenScore - shift), Math.max(rank, 1), top, topValues);
    }

    /**
     * How many scores are ≥ {@code score} (vLLM's rank). Counted branch-free, from the sign bit of
     * {@code x - score} (+0 when equal), because a compare-and-branch mispredicts on every other
     * entry for a mid-ranked token; C2 vectorizes this form.
     */
    static int rank(float[] x, int offset, int vocabSize, float score) {
        if (score == Float.NEGATIVE_INFINITY) return vocabSize; // -Inf - -Inf is NaN: count directly
        int below = 0;
        for (int i = 0; i < vocabSize; i++) below += Float.floatToRawIntBits(x[offset + i] - score) >>> 31;
        return vocabSize - below;
    }

    /** log(sum(exp(x))) over the row, stable: max + log(sum(exp(x - max))). */
    static double logSumExp(float[] x, int offset, int vocabSize, float[] expScratch, int[] intScratch) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocabSize; i++) max = Math.max(max, x[offset + i]);
        if (max == Float.NEGATIVE_INFINITY) return max;
        float[] row = x;
        if (offset != 0) { // expShifted reads from index 0
            System.arraycopy(x, offset, expScratch, 0, vocabSize);
            row = expScratch;
        }
        FastExp.expShifted(row, vocabSize, max, expScratch, intScratch);
        double s0 = 0, s1 = 0;
        int i = 0;
        for (; i + 1 < vocabSize; i += 2) {
            s0 += expScratch[i];
            s1 += expScratch[i + 1];
        }
        if (i < vocabSize) s0 += expScratch[i];
        return max + Math.log(s0 + s1);
    }
}
