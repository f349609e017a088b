package dev.pagoda.backend.cuda;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import java.util.ArrayList;
import java.util.List;

/**
 * The short conformance check {@code serve --device cuda} runs before it opens the port: one fixed
 * prompt through the CPU reference and the CUDA backend (same weights), a prefill of all but its
 * last few tokens and then those one decode step at a time, so both the prefill and the decode
 * attention paths are compared. Logits of every position are compared as the conformance suite
 * does ({@link LogitComparison}, {@link CudaTolerances}).
 *
 * <p>The KV blocks are handed out in decreasing order (prompt of 10 tokens, block size 4 → blocks
 * [3, 2, 1]), so a kernel that assumes contiguous or increasing block tables fails here too.
 * Leaves both backends with a small cache allocated; the engine allocates its own afterwards.
 */
public final class CudaSelfCheck {
    /** Tokens at the end of the prompt that run as decode steps (one token each). */
    static final int DECODE_STEPS = 4;

    private CudaSelfCheck() {}

    /** One position's figures and whether it is within tolerance. */
    public record Position(int position, LogitComparison comparison, boolean passed) {}

    /**
     * @param device     the GPU, e.g. "NVIDIA H100 80GB HBM3 (sm_90), cuBLAS …"
     * @param driver     the CUDA driver version
     * @param dtype      what the candidate computes in
     * @param tolerances the limits applied, for the report
     * @param positions  {@code [promptLen]} in position order
     */
    public record Report(String device, String driver, String dtype, String tolerances, List<Position> positions, boolean passed) {
        /** The multi-line report the server prints before serving (or refusing to). */
        public String format() {
            StringBuilder sb = new StringBuilder();
            sb.append("conformance self-check: CUDA vs the CPU reference, ").append(positions.size()).append(" positions (prefill, then ")
                    .append(Math.min(DECODE_STEPS, positions.size() - 1)).append(" decode steps)\n");
            sb.append("  device: ").append(device).append("\n  driver: ").append(driver).append("\n  dtype: ").append(dtype)
                    .append(" (CPU reference: float32)\n  tolerances: ").append(tolerances).append('\n');
            for (Position p : positions) {
                LogitComparison c = p.comparison();
                sb.append(String.format("  pos %3d: rel %.2e (max|Δ| %.2e, max|ref| %.2f), KL %.2e, argmax %d vs cpu %d%s  %s%n",
                        p.position(), c.relativeError(), c.maxAbsDiff(), c.maxAbsRef(), c.klDivergence(), c.cudaArgmax(), c.cpuArgmax(),
                        c.cudaArgmax() != c.cpuArgmax() && c.argmaxAgreesOrTie() ? " (near tie)" : "", p.passed() ? "ok" : "FAIL"));
            }
            sb.append("  result: ").append(passed ? "PASS" : "FAIL");
            return sb.toString();
        }
    }

    /** Checks {@code cuda} against {@code cpu}; both must have the same model loaded. */
    public static Report run(ComputeBackend cpu, CudaBackend cuda, int[] prompt, int blockSize, boolean randomWeights) {
        return run(cpu, cuda, cuda.describeDevice(), cuda.driverVersion(), "bfloat16", prompt, blockSize, randomWeights);
    }

    /**
     * The check between any two backends (the CPU-only tests run it against a deliberately wrong
     * one).
     *
     * @param prompt        {@code [promptLen]} token ids, at least 2
     * @param randomWeights random-weight (dummy) models get the looser limits, see {@link CudaTolerances}
     */
    public static Report run(ComputeBackend cpu, ComputeBackend candidate, String device, String driver, String dtype,
                             int[] prompt, int blockSize, boolean randomWeights) {
        if (prompt.length < 2) throw new IllegalArgumentException("the self-check prompt needs at least 2 tokens, got " + prompt.length);
        double maxRel = randomWeights ? CudaTolerances.RANDOM_MODEL_MAX_RELATIVE_ERROR : CudaTolerances.TRAINED_MODEL_MAX_RELATIVE_ERROR;
        double maxKl = randomWeights ? CudaTolerances.RANDOM_MODEL_MAX_KL : CudaTolerances.TRAINED_MODEL_MAX_KL;
        int numBlocks = (prompt.length + blockSize - 1) / blockSize;
        int[] blockTable = new int[numBlocks];
        for (int b = 0; b < numBlocks; b++) blockTable[b] = numBlocks - 1 - b;
        cpu.allocateKvCache(numBlocks, blockSize);
        candidate.allocateKvCache(numBlocks, blockSize);

        int decode = Math.min(DECODE_STEPS, prompt.length - 1);
        int prefill = prompt.length - decode;
        List<Position> positions = new ArrayList<>();
        compare(cpu, candidate, step(prompt, blockTable, blockSize, 0, prefill), 0, maxRel, maxKl, positions);
        for (int p = prefill; p < prompt.length; p++) {
            compare(cpu, candidate, step(prompt, blockTable, blockSize, p, 1), p, maxRel, maxKl, positions);
        }
        boolean passed = positions.stream().allMatch(Position::passed);
        String tolerances = String.format("%s model: rel ≤ %.1e, KL ≤ %.1e nats, argmax equal unless a near tie",
                randomWeights ? "random-weight" : "trained", maxRel, maxKl);
        return new Report(device, driver, dtype, tolerances, List.copyOf(positions), passed);
    }

    private static void compare(ComputeBackend cpu, ComputeBackend candidate, ForwardBatch batch, int firstPosition, double maxRel, double maxKl, List<Position> out) {
        Logits expected = cpu.forward(batch);
        Logits actual = candidate.forward(batch);
        for (int r = 0; r < batch.numTokens(); r++) {
            float[] ref = expected.row(r), got = actual.row(r);
            boolean finite = true;
            for (float v : got) finite &= Float.isFinite(v);
            if (!finite) {
                // A NaN/Inf logit is a failure to report, not an exception that hides the other positions.
                out.add(new Position(firstPosition + r, new LogitComparison(Double.NaN, 0, Double.NaN, -1, LogitComparison.argmax(ref), 0), false));
                continue;
            }
            LogitComparison c = LogitComparison.of(got, ref);
            out.add(new Position(firstPosition + r, c, c.withinTolerance(maxRel, maxKl)));
        }
    }

    /** Positions {@code [start, start + count)} of the prompt, the ones before already cached; logits at every row. */
    private static ForwardBatch step(int[] prompt, int[] blockTable, int blockSize, int start, int count) {
        int[] tokenIds = new int[count], positions = new int[count], slotMapping = new int[count], logitsIndices = new int[count];
        for (int i = 0; i < count; i++) {
            int p = start + i;
            tokenIds[i] = prompt[p];
            positions[i] = p;
            slotMapping[i] = blockTable[p / blockSize] * blockSize + p % blockSize;
            logitsIndices[i] = i;
        }
        return new ForwardBatch(tokenIds, positions, new int[] {0, count}, new int[] {start + count}, new int[][] {blockTable.clone()},
                slotMapping, logitsIndices);
    }
}
