package dev.pagoda.engine.backend;

/**
 * Next-token scores for the rows a {@link ForwardBatch} asked for.
 *
 * @param numRows   equals {@code batch.logitsIndices().length}; row {@code i} belongs to batch row {@code logitsIndices[i]}
 * @param vocabSize columns
 * @param values    {@code [numRows, vocabSize]} row-major fp32
 */
public record Logits(int numRows, int vocabSize, float[] values) {
    public Logits {
        if ((long) numRows * vocabSize != values.length) {
            throw new IllegalArgumentException("values must hold numRows * vocabSize floats");
        }
    }

    /** Score of {@code tokenId} in row {@code row}. */
    public float get(int row, int tokenId) {
        return values[row * vocabSize + tokenId];
    }

    /** A copy of row {@code row}. */
    public float[] row(int row) {
        float[] out = new float[vocabSize];
        System.arraycopy(values, row * vocabSize, out, 0, vocabSize);
        return out;
    }

    /** Index of the largest score in {@code row} (the lowest index on ties, like torch.argmax). */
    public int argmax(int row) {
        int base = row * vocabSize;
        int best = 0;
        for (int v = 1; v < vocabSize; v++) if (values[base + v] > values[base + best]) best = v;
        return best;
    }
}
