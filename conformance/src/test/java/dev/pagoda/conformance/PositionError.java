package dev.pagoda.conformance;

/**
 * How far one position's logits are from the reference.
 *
 * @param position       the token position the logits follow
 * @param maxAbsDiff     {@code max_v |actual[v] - ref[v]|}
 * @param maxAbsRef      {@code max_v |ref[v]|}
 * @param actualArgmax   the highest-scoring token of {@code actual} (lowest id on ties, like torch.argmax)
 * @param expectedArgmax the highest-scoring token of {@code ref}
 */
record PositionError(int position, double maxAbsDiff, double maxAbsRef, int actualArgmax, int expectedArgmax) {

    /** The conformance metric: {@code max |Δ| / max |ref|}, scale-free across models. */
    double relativeError() {
        return maxAbsDiff / maxAbsRef;
    }

    boolean argmaxAgrees() {
        return actualArgmax == expectedArgmax;
    }

    /**
     * Compares two rows of logits; {@code actual} must be finite (NaN would otherwise slip through
     * every {@code <=} comparison).
     *
     * @param actual {@code [vocabSize]}
     * @param ref    {@code [vocabSize]}
     */
    static PositionError of(int position, float[] actual, float[] ref) {
        if (actual.length != ref.length) {
            throw new AssertionError("position " + position + ": " + actual.length + " logits, expected " + ref.length);
        }
        double maxAbsDiff = 0;
        double maxAbsRef = 0;
        for (int v = 0; v < ref.length; v++) {
            if (!Float.isFinite(actual[v])) throw new AssertionError("position " + position + ": logit " + v + " is " + actual[v]);
            maxAbsDiff = Math.max(maxAbsDiff, Math.abs((double) actual[v] - ref[v]));
            maxAbsRef = Math.max(maxAbsRef, Math.abs((double) ref[v]));
        }
        return new PositionError(position, maxAbsDiff, maxAbsRef, argmax(actual), argmax(ref));
    }

    static int argmax(float[] row) {
        int best = 0;
        for (int v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
        return best;
    }

    @Override
    public String toString() {
        return String.format("pos %2d: rel %.2e (max|Δ| %.2e, max|ref| %.3f), argmax %d vs %d",
                position, relativeError(), maxAbsDiff, maxAbsRef, actualArgmax, expectedArgmax);
    }
}
