package dev.pagoda.engine.sampling;

import dev.pagoda.engine.backend.Logits;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

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
 * <p><b>Cost.</b> Each step is one or two passes over the vocabulary; top-k and top-p use
 * quickselect ({@link Selection}) instead of sorting. Logprobs use a size-N heap. Not thread-safe:
 * it owns {@code [vocabSize]} scratch rows; one sampler per engine thread.
 */
public final class Sampler {
    private final Set<Integer> eosTokenIds;
    private final SplittableRandom random;
    private float[] work = new float[0];    // [vocabSize] the row being processed
    private float[] weights = new float[0]; // [vocabSize] exp(x - max) of the row being drawn from
    private float[] scratch = new float[0]; // [vocabSize] selection workspace
    private int[] seen = new int[0];        // [vocabSize] repetition-penalty stamps
    private int[] counts = new int[0];      // [vocabSize] output token counts, zero between rows
    private int stamp;

    /**
     * @param eosTokenIds the model's end-of-sequence ids ({@code GenerationConfig#stopTokenIds}); min_tokens masks them
     * @param seed        seed of the generator for requests without their own seed (the engine's {@code --seed})
     */
    public Sampler(Collection<Integer> eosTokenIds, long seed) {
        this.eosTokenIds = Set.copyOf(eosTokenIds);
        this.random = new SplittableRandom(seed);
    }

    /**
     * Samples one token per row.
     *
     * @param logits {@code [numRows, vocabSize]}; not modified
     * @param rows   {@code [numRows]} the sequence behind each logits row, in row order
     */
    public SampledTokens sample(Logits logits, List<SamplingRow> rows) {
        if (rows.size() != logits.numRows()) {
            throw new IllegalArgumentException("logits have " + logits.numRows() + " rows but " + rows.size() + " sampling rows were given");
        }
        int vocabSize = logits.vocabSize();
        ensureCapacity(vocabSize);
        int[] tokenIds = new int[rows.size()];
        TokenLogprobs[] logprobs = new TokenLogprobs[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            tokenIds[r] = sampleRow(logits, r, rows.get(r), logprobs);
        }
        return new SampledTokens(tokenIds, logprobs);
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
        checkToken(nextTokenId, vocabSize, "nextTokenId");
        int n = numLogprobs == -1 ? vocabSize : numLogprobs;
        if (n < 0) throw new IllegalArgumentException("numLogprobs must be >= 0 or -1, got " + numLogprobs);
        return LogprobsCalculator.compute(logits.values(), row * vocabSize, vocabSize, nextTokenId, n, true);
    }

    private int sampleRow(Logits logits, int r, SamplingRow row, TokenLogprobs[] logprobsOut) {
        SamplingParams p = row.params();
        int vocabSize = logits.vocabSize();
        float[] raw = logits.values();
        int base = r * vocabSize;
        LogprobsMode mode = p.logprobsMode();
        int topN = p.logprobs().isPresent() ? (p.logprobs().getAsInt() == -1 ? vocabSize : p.logprobs().getAsInt()) : -1;
        boolean wantProcessed = topN >= 0 && mode.processed();

        int token;
        if (p.greedy() && !p.needsLogitsProcessing() && !wantProcessed) {
            token = LogitsProcessors.argmax(raw, base, vocabSize); // exactly argmax(raw logits)
        } else {
            System.arraycopy(raw, base, work, 0, vocabSize);
            process(p, row, vocabSize);
            if (p.greedy()) {
                token = LogitsProcessors.argmax(work, 0, vocabSize);
            } else {
                LogitsProcessors.applyTemperature(work, vocabSize, (float) p.temperature());
                if (p.minP() > 0) LogitsProcessors.applyMinP(work, vocabSize, p.minP());
                if (p.topK() > 0 && p.topK() < vocabSize) LogitsProcessors.applyTopK(work, vocabSize, p.topK(), scratch);
                LogitsProcessors.weights(work, vocabSize, weights);
                if (p.topP() < 1.0) LogitsProcessors.applyTopP(work, weights, vocabSize, p.topP(), scratch);
                double u = p.seed().isPresent() ? CounterRng.uniform(p.seed().getAsLong(), row.outputTokenIds().length) : random.nextDouble();
                token = drawInverseCdf(weights, vocabSize, u);
            }
        }
        if (topN >= 0) {
            logprobsOut[r] = wantProcessed
                    ? LogprobsCalculator.compute(work, 0, vocabSize, token, topN, mode.logprobs())
                    : LogprobsCalculator.compute(raw, base, vocabSize, token, topN, mode.logprobs());
        }
        return token;
    }

    /** Steps 1–3 on {@code work}: logit bias, min_tokens, penalties. */
    private void process(SamplingParams p, SamplingRow row, int vocabSize) {
        int[] prompt = row.promptTokenIds(), output = row.outputTokenIds();
        if (!p.logitBias().isEmpty()) {
            for (int id : p.logitBias().keySet()) checkToken(id, vocabSize, "logit_bias id");
            LogitsProcessors.applyLogitBias(work, p.logitBias());
        }
        if (output.length < p.minTokens()) LogitsProcessors.maskTokens(work, stopTokens(p, vocabSize));
        boolean repetition = p.repetitionPenalty() != 1.0;
        if (repetition || p.frequencyPenalty() != 0 || p.presencePenalty() != 0) {
            if (repetition) for (int id : prompt) checkToken(id, vocabSize, "prompt token");
            for (int id : output) checkToken(id, vocabSize, "output token");
            if (++stamp == 0) { // wrapped after 2^32 rows: forget every stamp
                java.util.Arrays.fill(seen, 0);
                stamp = 1;
            }
            LogitsProcessors.applyPenalties(work, p, prompt, output, seen, stamp, counts);
        }
    }

    /** EOS ids and the request's stop_token_ids that exist in this vocabulary. */
    private int[] stopTokens(SamplingParams p, int vocabSize) {
        Set<Integer> ids = new LinkedHashSet<>(eosTokenIds);
        ids.addAll(p.stopTokenIds());
        return ids.stream().mapToInt(Integer::intValue).filter(id -> id >= 0 && id < vocabSize).toArray();
    }

    /**
     * Inverse-CDF draw: the first id whose running weight exceeds {@code u × total}. With every
     * weight 0 (everything masked) it returns 0.
     *
     * @param weights {@code [vocabSize]} unnormalized probabilities, {@code exp(x - max)}
     */
    static int drawInverseCdf(float[] weights, int vocabSize, double u) {
        double total = 0;
        for (int i = 0; i < vocabSize; i++) total += weights[i];
        double target = u * total, running = 0;
        int last = 0;
        for (int i = 0; i < vocabSize; i++) {
            float w = weights[i];
            if (w == 0f) continue;
            running += w;
            last = i;
            if (running > target) return i;
        }
        return last; // u × total rounded up to total
    }

    private void ensureCapacity(int vocabSize) {
        if (work.length >= vocabSize) return;
        work = new float[vocabSize];
        weights = new float[vocabSize];
        scratch = new float[vocabSize];
        seen = new int[vocabSize];
        counts = new int[vocabSize];
        stamp = 0;
    }

    private static void checkToken(int id, int vocabSize, String what) {
        if (id < 0 || id >= vocabSize) throw new IllegalArgumentException(what + " " + id + " is outside the vocabulary [0, " + vocabSize + ")");
    }
}
