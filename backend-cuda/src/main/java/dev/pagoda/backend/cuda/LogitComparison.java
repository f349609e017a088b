package dev.pagoda.backend.cuda;

/**
 * How far the CUDA logits of one position are from the CPU reference's (the conformance tests
 * and the self-check {@code serve --device cuda} runs before it opens the port).
 *
 * @param maxAbsDiff    {@code max_v |cuda[v] - cpu[v]|}
 * @param maxAbsRef     {@code max_v |cpu[v]|}
 * @param klDivergence  {@code KL(softmax(cpu) ‖ softmax(cuda))} in nats
 * @param cudaArgmax    best token on the GPU
 * @param cpuArgmax     best token on the CPU
 * @param cpuTop2Margin the CPU's best logit minus its second best
 */
public record LogitComparison(double maxAbsDiff, double maxAbsRef, double klDivergence, int cudaArgmax, int cpuArgmax, double cpuTop2Margin) {

    public double relativeError() {
        return maxAbsDiff / maxAbsRef;
    }

    /** Argmax agrees, or the CPU's top two are a near tie (see {@link CudaTolerances#ARGMAX_TIE_MARGIN_IN_ERRORS}). */
    public boolean argmaxAgreesOrTie() {
        return cudaArgmax == cpuArgmax || cpuTop2Margin < CudaTolerances.ARGMAX_TIE_MARGIN_IN_ERRORS * maxAbsDiff;
    }

    public boolean withinTolerance(double maxRelativeError, double maxKl) {
        return relativeError() <= maxRelativeError && klDivergence <= maxKl && argmaxAgreesOrTie();
    }

    /**
     * @param cuda {@code [vocabSize]} must be finite
     * @param cpu  {@code [vocabSize]}
     */
    public static LogitComparison of(float[] cuda, float[] cpu) {
        if (cuda.length != cpu.length) throw new IllegalArgumentException(cuda.length + " logits, expected " + cpu.length);
        double maxAbsDiff = 0, maxAbsRef = 0;
        for (int v = 0; v < cpu.length; v++) {
            if (!Float.isFinite(cuda[v])) throw new IllegalStateException("CUDA logit " + v + " is " + cuda[v]);
            maxAbsDiff = Math.max(maxAbsDiff, Math.abs((double) cuda[v] - cpu[v]));
            maxAbsRef = Math.max(maxAbsRef, Math.abs((double) cpu[v]));
        }
        double[] p = logSoftmax(cpu), q = logSoftmax(cuda);
        double kl = 0;
        for (int v = 0; v < cpu.length; v++) kl += Math.exp(p[v]) * (p[v] - q[v]);
        int cpuArgmax = argmax(cpu);
        double second = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < cpu.length; v++) if (v != cpuArgmax) second = Math.max(second, cpu[v]);
        return new LogitComparison(maxAbsDiff, maxAbsRef, Math.max(kl, 0), argmax(cuda), cpuArgmax, cpu[cpuArgmax] - second);
    }

    private static double[] logSoftmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) max = Math.max(max, v);
        double sum = 0;
        for (float v : x) sum += Math.exp(v - max);
        double logSum = max + Math.log(sum);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] - logSum;
        return out;
    }

    public static int argmax(float[] row) {
        int best = 0;
        for (int v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
        return best;
    }
}
