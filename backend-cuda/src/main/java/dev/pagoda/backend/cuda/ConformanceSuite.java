package dev.pagoda.backend.cuda;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs the {@link ConformanceCases} of one model through a candidate backend and compares every
 * position with a reference: what {@code ./pagoda conformance} and conformance's CudaConformanceTest run.
 *
 * <p>The reference is the simplest path: each sequence alone, in one prefill, over contiguous
 * blocks, on the reference backend (the CPU). The CPU's logits of a position do not depend on the
 * schedule (DESIGN.md, Numerics; checked bit for bit by the CPU run of this suite), so this equals
 * running the reference on the candidate's own batches, at a fraction of the cost.
 *
 * <p>Three kinds of lines: "vs reference" (every row of every case), "schedule" (sequence a's logits
 * under decode / chunks / mixed batch against the candidate's own prefill; a paging, chunking or
 * masking bug changes the attended keys, precision noise does not) and "vs HF" (the candidate on the
 * prompt of a Hugging Face golden, where one exists for the model, one prefill and token by token).
 */
public final class ConformanceSuite {
    /** Failing positions described per case (the count is always reported). */
    static final int MAX_LISTED_FAILURES = 5;

    private ConformanceSuite() {}

    /**
     * @param reference     the reference backend, model loaded (its KV cache is reallocated)
     * @param candidate     the backend under test, the same model loaded (its KV cache is reallocated)
     * @param blockSizes    e.g. {@link ConformanceCases#BLOCK_SIZES}
     * @param checkSchedule add the "schedule" lines (useful where the candidate is not bit-exact)
     * @param golden        Hugging Face logits of this model, if any
     * @return the case results, in run order
     */
    public static List<ConformanceReport.CaseResult> run(ComputeBackend reference, ComputeBackend candidate, int vocabSize,
            ConformanceLimits limits, List<Integer> blockSizes, boolean checkSchedule, Optional<HfGolden> golden) {
        int seqLen = ConformanceCases.SEQ_LEN;
        List<int[]> sequences = ConformanceCases.sequences(vocabSize);
        float[][][] expected = new float[sequences.size()][][]; // [3][SEQ_LEN][vocabSize]
        for (int s = 0; s < sequences.size(); s++) expected[s] = onePrefill(reference, sequences.get(s), 16);

        List<ConformanceReport.CaseResult> results = new ArrayList<>();
        for (int blockSize : blockSizes) {
            ConformanceCases.Plan plan = ConformanceCases.plan(blockSize, vocabSize);
            float[][] prefillA = null;
            for (ConformanceCases.Case k : plan.cases()) {
                if (k.freshCache()) candidate.allocateKvCache(ConformanceCases.NUM_BLOCKS, blockSize);
                String name = "blockSize " + blockSize + ": " + k.name();
                Tally vsReference = new Tally(name, "vs reference", limits.maxRelativeError(), limits.maxKl(), true);
                float[][] logitsA = new float[seqLen][];
                for (ConformanceCases.Step step : k.steps()) {
                    Logits got = candidate.forward(step.batch());
                    for (int r = 0; r < got.numRows(); r++) {
                        int seq = step.rowSequence()[r], pos = step.rowPosition()[r];
                        float[] row = got.row(r);
                        vsReference.add("seq " + "abc".charAt(seq) + " pos " + pos, row, expected[seq][pos]);
                        if (seq == ConformanceCases.A) logitsA[pos] = row;
                    }
                }
                results.add(vsReference.result());
                if (prefillA == null && k.coversA()) {
                    prefillA = logitsA;
                } else if (checkSchedule && k.coversA()) {
                    Tally schedule = new Tally(name, "schedule", limits.scheduleMaxRelativeError(), Double.POSITIVE_INFINITY, false);
                    for (int p = 0; p < seqLen; p++) schedule.add("pos " + p, logitsA[p], prefillA[p]);
                    results.add(schedule.result());
                }
            }
        }
        golden.ifPresent(g -> results.addAll(againstGolden(candidate, g, limits)));
        return results;
    }

    /** The candidate on the golden's prompt, one prefill and then token by token, against HF's logits. */
    static List<ConformanceReport.CaseResult> againstGolden(ComputeBackend candidate, HfGolden golden, ConformanceLimits limits) {
        int n = golden.tokenIds().length, blockSize = 16;
        Tally prefill = new Tally("HF golden '" + golden.name() + "': one prefill", "vs HF", limits.goldenMaxRelativeError(), limits.goldenMaxKl(), true);
        float[][] got = onePrefill(candidate, golden.tokenIds(), blockSize);
        for (int p = 0; p < n; p++) prefill.add("pos " + p, got[p], golden.logits()[p]);
        Tally decode = new Tally("HF golden '" + golden.name() + "': token by token", "vs HF", limits.goldenMaxRelativeError(), limits.goldenMaxKl(), true);
        int[] table = contiguous(n, blockSize);
        candidate.allocateKvCache(table.length, blockSize);
        ConformanceBatches.Seq seq = new ConformanceBatches.Seq(golden.tokenIds(), table);
        for (int p = 0; p < n; p++) {
            Logits l = candidate.forward(ConformanceBatches.step(blockSize, List.of(seq), new int[] {p}, new int[] {1}));
            decode.add("pos " + p, l.row(0), golden.logits()[p]);
        }
        return List.of(prefill.result(), decode.result());
    }

    /** {@code [tokens.length][vocabSize]}: the logits after every token, one prefill over contiguous blocks of a fresh cache. */
    static float[][] onePrefill(ComputeBackend backend, int[] tokens, int blockSize) {
        int[] table = contiguous(tokens.length, blockSize);
        backend.allocateKvCache(table.length, blockSize);
        ForwardBatch batch = ConformanceBatches.step(blockSize, List.of(new ConformanceBatches.Seq(tokens, table)), new int[] {0}, new int[] {tokens.length});
        Logits l = backend.forward(batch);
        float[][] out = new float[tokens.length][];
        for (int p = 0; p < tokens.length; p++) out[p] = l.row(p);
        return out;
    }

    private static int[] contiguous(int numTokens, int blockSize) {
        int[] table = new int[(numTokens + blockSize - 1) / blockSize];
        for (int i = 0; i < table.length; i++) table[i] = i;
        return table;
    }

    /** Running figures of one case. */
    private static final class Tally {
        final String name, kind;
        final double maxRel, maxKl;
        final boolean judgeKlAndArgmax;
        int positions, argmaxAgree, numFailures;
        double maxAbsDiff, maxRelative, maxKlSeen;
        final List<String> failures = new ArrayList<>();

        Tally(String name, String kind, double maxRel, double maxKl, boolean judgeKlAndArgmax) {
            this.name = name;
            this.kind = kind;
            this.maxRel = maxRel;
            this.maxKl = maxKl;
            this.judgeKlAndArgmax = judgeKlAndArgmax;
        }

        void add(String where, float[] got, float[] ref) {
            positions++;
            boolean finite = true;
            for (float v : got) finite &= Float.isFinite(v);
            if (!finite) {
                fail(where + ": a logit is NaN or infinite");
                return;
            }
            LogitComparison c = LogitComparison.of(got, ref);
            maxAbsDiff = Math.max(maxAbsDiff, c.maxAbsDiff());
            maxRelative = Math.max(maxRelative, c.relativeError());
            maxKlSeen = Math.max(maxKlSeen, c.klDivergence());
            if (c.cudaArgmax() == c.cpuArgmax()) argmaxAgree++;
            boolean ok = judgeKlAndArgmax ? c.withinTolerance(maxRel, maxKl) : c.relativeError() <= maxRel;
            if (!ok) fail(where + ": " + c);
        }

        private void fail(String what) {
            numFailures++;
            if (failures.size() < MAX_LISTED_FAILURES) failures.add(what);
        }

        ConformanceReport.CaseResult result() {
            return new ConformanceReport.CaseResult(name, kind, positions, maxAbsDiff, maxRelative, judgeKlAndArgmax ? maxKlSeen : Double.NaN,
                    argmaxAgree, numFailures, List.copyOf(failures));
        }
    }
}
