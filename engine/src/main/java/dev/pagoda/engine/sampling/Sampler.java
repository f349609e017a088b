package dev.pagoda.engine.sampling;

import dev.pagoda.engine.backend.Logits;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Picks the next token of every row of a {@link Logits} batch, each row with its own
 * {@link SamplingParams}: vLLM v1's sampler on the CPU. Per row, in vLLM v1's order:
 *
 * <ol>
 *   <li>logit_bias is added;
 *   <li>min_tokens: while the output is shorter than min_tokens, every stop token (the model's EOS
 *       ids and the request's stop_token_ids; masked even with ignore_eos, as vLLM) gets -Infinity;
 *   <li>penalties: repetition (prompt + output), then frequency and presence (output);
 *   <li>greedy rows (temperature 0) take the argmax here, the lowest id on ties; with none of the
 *       above it is exactly the argmax of the raw logits (the row is not even copied);
 *   <li>otherwise: temperature, min_p, top_k, top_p (vLLM v1 applies min_p before top-k/top-p),
 *       then one draw.
 * </ol>
 *
 * <p><b>Drawing.</b> Inverse CDF: one uniform u per token, and the token is the first (in id order)
 * where the running sum of {@code exp(x - max)} exceeds {@code u × total}. vLLM's exponential race
 * ({@code argmax p_i / E_i}) needs a random number per vocabulary entry, 150k per token; the CDF
 * walk needs one, which is what makes a per-request counter-based generator cheap. Seeded rows take
 * u from {@link CounterRng#uniform(long, long)} with the output position as counter, so their tokens
 * do not depend on the batch; unseeded rows take it from this sampler's generator, in row order
 * (like vLLM's global generator, they then depend on the batch).
 *
 * <p><b>Cost.</b> A handful of passes over the vocabulary per row, none of them a sort: top-k
 * keeps a small heap (quickselect for large k), top-p bins the weights by their float exponent to
 * find the bucket holding the nucleus boundary and quickselects inside it ({@link Selection}),
 * logprobs keep a size-N heap. Rows are independent; with {@code numThreads > 1} they are spread
 * over threads, and the unseeded random numbers are drawn first, in row order, so the result does
 * not depend on the thread count. A sampler is used by one engine thread at a time.
 */
public final class Sampler implements AutoCloseable {
    private final Set<Integer> eosTokenIds;
    private final SplittableRandom random;
    private final RowSampler[] workers;
    private final ExecutorService pool; // null with one thread

    /**
     * A single-threaded sampler.
     *
     * @param eosTokenIds the model's end-of-sequence ids ({@code GenerationConfig#stopTokenIds}); min_tokens masks them
     * @param seed        seed of the generator for requests without their own seed (the engine's {@code --seed})
     */
    public Sampler(Collection<Integer> eosTokenIds, long seed) {
        this(eosTokenIds, seed, 1);
    }

    /** @param numThreads rows are split over this many threads (1: the caller's thread only) */
    public Sampler(Collection<Integer> eosTokenIds, long seed, int numThreads) {
        if (numThreads < 1) throw new IllegalArgumentException("numThreads must be >= 1, got " + numThreads);
        this.eosTokenIds = Set.copyOf(eosTokenIds);
        this.random = new SplittableRandom(seed);
        this.workers = new RowSampler[numThreads];
        for (int t = 0; t < numThreads; t++) workers[t] = new RowSampler(this.eosTokenIds);
        this.pool = numThreads == 1 ? null : Executors.newFixedThreadPool(numThreads, r -> {
            Thread thread = new Thread(r, "pagoda-sampler");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Samples one token per row.
     *
     * @param logits {@code [numRows, vocabSize]}; not modified
     * @param rows   {@code [numRows]} the sequence behind each logits row, in row order
     */
    public SampledTokens sample(Logits logits, List<SamplingRow> rows) {
        return sample(logits, rows, drawUniforms(rows));
    }

    /**
     * Each row's random number, fixed before any work: seeded rows from {@link CounterRng} (seed,
     * output position), the others from this sampler's generator in row order; 0 for greedy rows.
     * A device sampler ({@code DeviceSampler}) draws with these, so a seed means the same on both.
     *
     * @return {@code [numRows]} uniforms in [0, 1)
     */
    public double[] drawUniforms(List<SamplingRow> rows) {
        double[] uniforms = new double[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            SamplingParams p = rows.get(r).params();
            if (p.greedy()) continue;
            uniforms[r] = p.seed().isPresent()
                    ? CounterRng.uniform(p.seed().getAsLong(), rows.get(r).numOutputTokens())
                    : random.nextDouble();
        }
        return uniforms;
    }

    /** The model's end-of-sequence ids this sampler masks under min_tokens. */
    public Set<Integer> eosTokenIds() {
        return eosTokenIds;
    }

    /**
     * Samples one token per row with the given random numbers ({@link #drawUniforms}).
     *
     * @param uniforms {@code [numRows]}
     */
    public SampledTokens sample(Logits logits, List<SamplingRow> rows, double[] uniforms) {
        int numRows = rows.size();
        if (numRows != logits.numRows()) {
            throw new IllegalArgumentException("logits have " + logits.numRows() + " rows but " + numRows + " sampling rows were given");
        }
        if (uniforms.length != numRows) throw new IllegalArgumentException(uniforms.length + " uniforms for " + numRows + " rows");
        int[] tokenIds = new int[numRows];
        TokenLogprobs[] logprobs = new TokenLogprobs[numRows];
        int numThreads = Math.min(workers.length, numRows);
        if (numThreads <= 1) {
            sampleRange(workers[0], logits, rows, uniforms, 0, numRows, tokenIds, logprobs);
        } else {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < numThreads; t++) {
                RowSampler worker = workers[t];
                int from = (int) ((long) numRows * t / numThreads), to = (int) ((long) numRows * (t + 1) / numThreads);
                futures.add(pool.submit(() -> sampleRange(worker, logits, rows, uniforms, from, to, tokenIds, logprobs)));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new IllegalStateException("sampling failed", e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while sampling", e);
                }
            }
        }
        return new SampledTokens(tokenIds, logprobs);
    }

    private static void sampleRange(RowSampler worker, Logits logits, List<SamplingRow> rows, double[] uniforms, int from, int to,
            int[] tokenIds, TokenLogprobs[] logprobs) {
        int vocabSize = logits.vocabSize();
        for (int r = from; r < to; r++) {
            tokenIds[r] = worker.sample(logits.values(), r * vocabSize, vocabSize, rows.get(r), uniforms[r], logprobs, r);
        }
    }

    /**
     * Prompt logprobs (always of the raw model distribution, as vLLM): the logprob and rank of the
     * actual next prompt token and the top N, from the logits row computed at the prompt position
     * before it.
     *
     * @param row         the logits row of prompt position i
     * @param nextTokenId the prompt's token at position i + 1
     * @param numLogprobs N; -1 = the whole vocabulary
     */
    public static TokenLogprobs promptLogprobs(Logits logits, int row, int nextTokenId, int numLogprobs) {
        int vocabSize = logits.vocabSize();
        if (row < 0 || row >= logits.numRows()) throw new IllegalArgumentException("row " + row + " out of [0, " + logits.numRows() + ")");
        RowSampler.checkToken(nextTokenId, vocabSize, "nextTokenId");
        int n = numLogprobs == -1 ? vocabSize : numLogprobs;
        if (n < 0) throw new IllegalArgumentException("numLogprobs must be >= 0 or -1, got " + numLogprobs);
        return LogprobsCalculator.compute(logits.values(), row * vocabSize, vocabSize, nextTokenId, n, true);
    }

    /** Stops the worker threads (none with one thread). */
    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
