package dev.pagoda.engine.backend;

import dev.pagoda.engine.sampling.SampledTokens;
import dev.pagoda.engine.sampling.Sampler;
import dev.pagoda.engine.sampling.SamplingRow;
import java.util.List;
import java.util.Set;

/**
 * An optional capability of a {@link ComputeBackend} ({@link ComputeBackend#deviceSampler()}): run a
 * batch and pick the next tokens where the logits are, returning only token ids and the requested
 * logprobs instead of {@code [numRows, vocabSize]} logits. The CPU {@link Sampler} is its
 * specification and test oracle: same logits, same {@link SamplingRow}s and same uniforms give the
 * same tokens.
 */
public interface DeviceSampler {

    /**
     * Whether the device can sample these rows of the loaded model (else the engine samples the
     * step's logits on the host).
     */
    boolean supports(List<SamplingRow> rows);

    /**
     * Runs {@code batch} (like {@link ComputeBackend#forward}) and samples its logits rows, which must
     * be exactly the sampling rows ({@code batch.logitsIndices().length == rows.size()}).
     *
     * @param rows        {@code [numRows]} the sequence behind each logits row, in row order
     * @param uniforms    {@code [numRows]} each row's random number, from {@link Sampler#drawUniforms}, so
     *                    that seeded requests draw what they would on the host (greedy rows ignore theirs)
     * @param eosTokenIds the ids min_tokens masks besides each request's stop_token_ids
     */
    SampledTokens forwardAndSample(ForwardBatch batch, List<SamplingRow> rows, double[] uniforms, Set<Integer> eosTokenIds);
}
