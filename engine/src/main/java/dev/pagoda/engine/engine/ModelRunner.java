package dev.pagoda.engine.engine;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.kvcache.BlockManager;
import dev.pagoda.engine.kvcache.BlockTable;
import dev.pagoda.engine.scheduler.ScheduledBatch;
import dev.pagoda.engine.scheduler.ScheduledSequence;
import dev.pagoda.engine.sequence.Sequence;
import java.util.ArrayList;
import java.util.List;

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
 * A prefill chunk that stops short of the end of its prompt samples nothing and gets no logits row.
 */
public final class ModelRunner {
    private final ComputeBackend backend;
    private final BlockManager blockManager;

    /** The logits of a step and the grants whose sequences sample from them, row by row. */
    public record Output(Logits logits, List<ScheduledSequence> samplingSequences) {}

    public ModelRunner(ComputeBackend backend, BlockManager blockManager) {
        this.backend = backend;
        this.blockManager = blockManager;
    }

    /** Runs the forward pass of {@code batch}; its blocks must already be allocated. */
    public Output execute(ScheduledBatch batch) {
        List<ScheduledSequence> sampling = new ArrayList<>();
        ForwardBatch forwardBatch = prepareInputs(batch, blockManager, sampling);
        return new Output(backend.forward(forwardBatch), sampling);
    }

    /**
     * Builds the {@link ForwardBatch} of {@code batch}, in its order; adds to {@code samplingSequences}
     * the grants that get a logits row, in row order.
     */
    public static ForwardBatch prepareInputs(ScheduledBatch batch, BlockManager blockManager, List<ScheduledSequence> samplingSequences) {
        int numSeqs = batch.scheduled().size();
        int numTokens = batch.numBatchedTokens();
        int[] tokenIds = new int[numTokens];      // [numTokens]
        int[] positions = new int[numTokens];     // [numTokens]
        int[] slotMapping = new int[numTokens];   // [numTokens]
        int[] queryStartLoc = new int[numSeqs + 1];
        int[] seqLens = new int[numSeqs];
        int[][] blockTables = new int[numSeqs][];
        List<Integer> logitsIndices = new ArrayList<>();

        int row = 0;
        for (int s = 0; s < numSeqs; s++) {
            ScheduledSequence grant = batch.scheduled().get(s);
            Sequence seq = grant.sequence();
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
            if (grant.samples()) {
                logitsIndices.add(row - 1);
                samplingSequences.add(grant);
            }
        }
        queryStartLoc[numSeqs] = row;
        if (row != numTokens) throw new IllegalStateException("batch counts " + numTokens + " tokens, grants add up to " + row);
        return new ForwardBatch(tokenIds, positions, queryStartLoc, seqLens, blockTables, slotMapping,
                logitsIndices.stream().mapToInt(Integer::intValue).toArray());
    }
}
