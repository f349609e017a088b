package dev.pagoda.engine.engine;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.DeviceSampler;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.kvcache.BlockManager;
import dev.pagoda.engine.kvcache.BlockTable;
import dev.pagoda.engine.sampling.SampledTokens;
import dev.pagoda.engine.sampling.Sampler;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.SamplingRow;
import dev.pagoda.engine.scheduler.ScheduledBatch;
import dev.pagoda.engine.scheduler.ScheduledSequence;
import dev.pagoda.engine.sequence.Sequence;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Turns the scheduler's decision into the backend's input and runs it (vLLM's {@code GPUModelRunner},
 * reduced to its bookkeeping): a {@link ScheduledBatch} says "compute tokens {@code c ..< c + k}
 * of each of these sequences"; a {@link ForwardBatch} says it in the flat arrays a kernel wants.
 *
 * <p>Worked example (blockSize 4). Sequence A decodes: 5 tokens computed, table {@code [7, 2]},
 * its sixth token is new. Sequence B prefills a 3-token prompt, table {@code [4]}.
 * <pre>
 *   tokenIds      = [a5, b0, b1, b2]
 *   positions     = [ 5,  0,  1,  2]
 *   queryStartLoc = [0, 1, 4]        A owns row 0, B rows 1..3
 *   seqLens       = [6, 3]
 *   blockTables   = [[7, 2], [4]]
 *   slotMapping   = [9, 16, 17, 18]  position 5 of A: block 2, offset 1 → 2*4+1; B: block 4 → 16..18
 *   logitsIndices = [0, 3]           the last row of each sequence that samples
 * </pre>
 * A prefill chunk that stops short of the end of its prompt samples nothing and gets no sampling row.
 *
 * <p>Prompt logprobs. A sequence that {@link Sequence#computesPromptLogprobs() computes prompt logprobs}
 * also asks for the logits of each of its prompt rows that has a next prompt token (the row of
 * position {@code p} scores prompt token {@code p + 1}). These rows come after all sampling rows, so
 * logits rows {@code 0 ..< numSampling} stay the sampler's. If B above wanted prompt logprobs:
 * {@code logitsIndices = [0, 3, 1, 2]}: rows 0 and 1 sample A and B, rows 2 and 3 score b1 and b2
 * (from positions 0 and 1); position 2, the last, only samples.
 */
public final class ModelRunner {
    private final ComputeBackend backend;
    private final BlockManager blockManager;

    /**
     * A sequence's run of prompt-logprob rows in one step.
     *
     * @param sequence       the sequence
     * @param firstPosition  the prompt position of the first row; row {@code j} scores prompt token {@code firstPosition + j + 1}
     * @param firstLogitsRow the logits row of {@code firstPosition}; the run's rows are consecutive
     * @param numRows        how many rows
     */
    public record PromptLogprobRows(Sequence sequence, int firstPosition, int firstLogitsRow, int numRows) {}

    /**
     * The backend input of a step and what its logits rows are for.
     *
     * @param forwardBatch       the flat arrays the backend runs
     * @param samplingSequences  the grants that sample, one per logits row {@code 0 ..< size}, in row order
     * @param promptLogprobRows  the prompt-logprob rows, after the sampling rows
     */
    public record Inputs(ForwardBatch forwardBatch, List<ScheduledSequence> samplingSequences, List<PromptLogprobRows> promptLogprobRows) {}

    /**
     * The logits of a step and what they are for.
     *
     * @param logits             {@code [numSampling + numPromptLogprobRows, vocabSize]}
     * @param samplingSequences  the grants whose sequences sample from rows {@code 0 ..< numSampling}, in row order
     * @param promptLogprobRows  the prompt-logprob rows, after the sampling rows
     */
    public record Output(Logits logits, List<ScheduledSequence> samplingSequences, List<PromptLogprobRows> promptLogprobRows) {
        /** The sampling rows alone ({@code [numSampling, vocabSize]}); a copy only when prompt-logprob rows follow them. */
        public Logits samplingLogits() {
            if (promptLogprobRows.isEmpty()) return logits;
            int n = samplingSequences.size();
            return new Logits(n, logits.vocabSize(), Arrays.copyOf(logits.values(), n * logits.vocabSize()));
        }
    }

    public ModelRunner(ComputeBackend backend, BlockManager blockManager) {
        this.backend = backend;
        this.blockManager = blockManager;
    }

    /** Runs the forward pass of {@code batch}; its blocks must already be allocated. */
    public Output execute(ScheduledBatch batch) {
        Inputs inputs = prepareInputs(batch, blockManager);
        return new Output(backend.forward(inputs.forwardBatch()), inputs.samplingSequences(), inputs.promptLogprobRows());
    }

    /**
     * A step's logits (for prompt logprobs; 0 rows when sampled on the device) and its sampled tokens.
     *
     * @param output   what {@link #execute} returns
     * @param rows     {@code [numSampling]} the sampling rows, in logits-row order
     * @param sampled  one token (and logprobs) per row
     * @param onDevice whether the backend's {@link DeviceSampler} picked them
     */
    public record SampledStep(Output output, List<SamplingRow> rows, SampledTokens sampled, boolean onDevice) {}

    /**
     * Runs the forward pass of {@code batch} and samples it: on the device when the backend has a
     * {@link DeviceSampler} that supports the rows and the step has no prompt-logprob rows (those
     * need the logits on the host), else with {@code sampler} on the host. Both draw with
     * {@link Sampler#drawUniforms}, so seeded requests get the same tokens either way.
     */
    public SampledStep executeAndSample(ScheduledBatch batch, Sampler sampler) {
        Inputs inputs = prepareInputs(batch, blockManager);
        List<SamplingRow> rows = new ArrayList<>(inputs.samplingSequences().size());
        for (ScheduledSequence g : inputs.samplingSequences()) {
            Sequence s = g.sequence();
            SamplingParams p = s.samplingParams();
            rows.add(p.readsTokenHistory() ? new SamplingRow(p, s.promptTokenIds(), s.outputTokenIds())
                    : SamplingRow.withoutHistory(p, s.numOutputTokens()));
        }
        Optional<DeviceSampler> device = backend.deviceSampler();
        if (device.isPresent() && !rows.isEmpty() && inputs.promptLogprobRows().isEmpty()
                && device.get().supports(rows)) {
            SampledTokens sampled = device.get().forwardAndSample(inputs.forwardBatch(), rows, sampler.drawUniforms(rows), sampler.eosTokenIds());
            Output out = new Output(new Logits(0, 0, new float[0]), inputs.samplingSequences(), inputs.promptLogprobRows());
            return new SampledStep(out, rows, sampled, true);
        }
        Output out = new Output(backend.forward(inputs.forwardBatch()), inputs.samplingSequences(), inputs.promptLogprobRows());
        return new SampledStep(out, rows, sampler.sample(out.samplingLogits(), rows), false);
    }

    /** Builds the {@link ForwardBatch} of {@code batch}, in its order, and says what each logits row is for. */
    public static Inputs prepareInputs(ScheduledBatch batch, BlockManager blockManager) {
        int numSeqs = batch.scheduled().size();
        int numTokens = batch.numBatchedTokens();
        int[] tokenIds = new int[numTokens];      // [numTokens]
        int[] positions = new int[numTokens];     // [numTokens]
        int[] slotMapping = new int[numTokens];   // [numTokens]
        int[] queryStartLoc = new int[numSeqs + 1];
        int[] seqLens = new int[numSeqs];
        int[][] blockTables = new int[numSeqs][];
        int[] samplingIndices = new int[numSeqs];  // [numSampling] batch rows that sample (at most one per sequence)
        int numSampling = 0;
        List<Integer> promptLogprobIndices = new ArrayList<>(); // batch rows that score a next prompt token
        List<ScheduledSequence> samplingSequences = new ArrayList<>(numSeqs);
        List<PromptLogprobRows> promptRuns = new ArrayList<>();

        int row = 0;
        for (int s = 0; s < numSeqs; s++) {
            ScheduledSequence grant = batch.scheduled().get(s);
            Sequence seq = grant.sequence();
            // region: slot-mapping
            BlockTable table = blockManager.blockTable(seq);
            queryStartLoc[s] = row;
            for (int i = 0; i < grant.numNewTokens(); i++, row++) {
                int position = grant.numComputedTokens() + i;
                tokenIds[row] = seq.tokenId(position);
                positions[row] = position;
                slotMapping[row] = table.slot(position);
            }
            seqLens[s] = grant.numComputedTokens() + grant.numNewTokens();
            blockTables[s] = table.blockIds();
            // endregion
            if (grant.samples()) {
                samplingIndices[numSampling++] = row - 1;
                samplingSequences.add(grant);
            }
            if (seq.computesPromptLogprobs()) {
                // Positions c ..< min(c + k, numPromptTokens - 1): the last prompt position has no next prompt token.
                int first = grant.numComputedTokens();
                int end = Math.min(first + grant.numNewTokens(), seq.numPromptTokens() - 1);
                if (end > first) {
                    promptRuns.add(new PromptLogprobRows(seq, first, promptLogprobIndices.size(), end - first));
                    for (int p = first; p < end; p++) promptLogprobIndices.add(queryStartLoc[s] + p - first);
                }
            }
        }
        queryStartLoc[numSeqs] = row;
        if (row != numTokens) throw new IllegalStateException("batch counts " + numTokens + " tokens, grants add up to " + row);

        // Prompt-logprob rows go after the sampling rows: shift their logits rows by the sampling count.
        List<PromptLogprobRows> promptLogprobRows = new ArrayList<>(promptRuns.size());
        for (PromptLogprobRows r : promptRuns) {
            promptLogprobRows.add(new PromptLogprobRows(r.sequence(), r.firstPosition(), numSampling + r.firstLogitsRow(), r.numRows()));
        }
        int[] logitsIndices = new int[numSampling + promptLogprobIndices.size()]; // [numLogits]
        System.arraycopy(samplingIndices, 0, logitsIndices, 0, numSampling);
        for (int i = 0; i < promptLogprobIndices.size(); i++) logitsIndices[numSampling + i] = promptLogprobIndices.get(i);
        ForwardBatch forwardBatch = new ForwardBatch(tokenIds, positions, queryStartLoc, seqLens, blockTables, slotMapping, logitsIndices);
        return new Inputs(forwardBatch, samplingSequences, promptLogprobRows);
    }
}
