package dev.pagoda.backend.cpu;

/**
 * Causal attention over contiguous keys and values, with plain loops: the oracle of
 * {@link PagedAttention}. No blocks, no slots: position {@code j} is simply row {@code j}.
 */
final class NaiveAttention {
    private NaiveAttention() {}

    /**
     * @param queries {@code [queryLen, numHeads, headSize]}, the last {@code queryLen} positions of the sequence
     * @param keys    {@code [seqLen, numKvHeads, headSize]}
     * @param values  {@code [seqLen, numKvHeads, headSize]}
     * @return {@code [queryLen, numHeads, headSize]}
     */
    static float[] attention(float[] queries, float[] keys, float[] values, int queryLen, int seqLen,
                             int numHeads, int numKvHeads, int headSize, float scale) {
        float[] out = new float[queryLen * numHeads * headSize];
        int contextLen = seqLen - queryLen;
        for (int i = 0; i < queryLen; i++) {
            int position = contextLen + i;
            for (int h = 0; h < numHeads; h++) {
                int kvHead = h / (numHeads / numKvHeads);
                float[] scores = new float[position + 1];
                for (int j = 0; j <= position; j++) {
                    scores[j] = NaiveOps.dot(queries, (i * numHeads + h) * headSize, keys, (j * numKvHeads + kvHead) * headSize, headSize) * scale;
                }
                NaiveOps.softmax(scores, 0, position + 1);
                for (int j = 0; j <= position; j++) {
                    for (int d = 0; d < headSize; d++) {
                        out[(i * numHeads + h) * headSize + d] += scores[j] * values[(j * numKvHeads + kvHead) * headSize + d];
                    }
                }
            }
        }
        return out;
    }
}
