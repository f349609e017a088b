package dev.pagoda.engine.sampling;

import java.util.Map;

/**
 * The steps that turn a row of logits into the distribution a token is drawn from, each in place on
 * a {@code [vocabSize]} float row, in vLLM v1's order (see {@link Sampler}). -Infinity marks a
 * removed token. Each step is O(vocabSize) or O(tokens of the sequence); none sorts the vocabulary.
 */
final class LogitsProcessors {
    private LogitsProcessors() {}

    /** logit_bias: adds each bias to its token's logit. */
    static void applyLogitBias(float[] x, Map<Integer, Float> bias) {
        for (Map.Entry<Integer, Float> e : bias.entrySet()) x[e.getKey()] += e.getValue();
    }

    /** min_tokens: stop tokens and EOS cannot be sampled yet. */
    static void maskTokens(float[] x, int[] tokenIds) {
        for (int id : tokenIds) x[id] = Float.NEGATIVE_INFINITY;
    }

    /**
     * Repetition penalty (HF/CTRL: divide positive logits, multiply negative ones, for every token
     * seen in prompt or output, once per token), then frequency (× count in the output) and presence
     * (once per token in the output) penalties, as vLLM's {@code apply_penalties}.
     *
     * @param seen   {@code [vocabSize]} scratch stamps; entries equal to {@code stamp} mean "seen"
     * @param counts {@code [vocabSize]} scratch counts, all zero on entry and on exit
     */
    static void applyPenalties(float[] x, SamplingParams p, int[] prompt, int[] output, int[] seen, int stamp, int[] counts) {
        float repetition = (float) p.repetitionPenalty();
        if (repetition != 1f) {
            for (int id : prompt) stampAndPenalize(x, id, seen, stamp, repetition);
            for (int id : output) stampAndPenalize(x, id, seen, stamp, repetition);
        }
        float frequency = (float) p.frequencyPenalty();
        float presence = (float) p.presencePenalty();
        if (frequency != 0f || presence != 0f) {
            for (int id : output) counts[id]++;
            for (int id : output) {
                int c = counts[id];
                if (c == 0) continue; // repeated id, already done
                x[id] -= frequency * c + presence;
                counts[id] = 0;
            }
        }
    }

    private static void stampAndPenalize(float[] x, int id, int[] seen, int stamp, float penalty) {
        if (seen[id] == stamp) return;
        seen[id] = stamp;
        x[id] = x[id] > 0 ? x[id] / penalty : x[id] * penalty;
    }

    static void applyTemperature(float[] x, int vocabSize, float temperature) {
        if (temperature == 1f) return;
        for (int i = 0; i < vocabSize; i++) x[i] /= temperature;
    }

    /**
     * min_p: drops tokens with probability below {@code minP} × the best token's. In logit space,
     * p_i < minP·p_max ⇔ x_i < x_max + ln(minP), so no softmax is needed.
     */
    static void applyMinP(float[] x, int vocabSize, double minP) {
        float max = max(x, vocabSize);
        double threshold = max + Math.log(minP);
        for (int i = 0; i < vocabSize; i++) if (x[i] < threshold) x[i] = Float.NEGATIVE_INFINITY;
    }

    /**
     * top_k: keeps the tokens whose logit is at least the k-th largest (ties with it are kept, as
     * vLLM's mask {@code logits < kth_value}). The k-th value comes from a size-k heap for the usual
     * small k (one pass, O(vocabSize log k)), else from a quickselect on a copy (O(vocabSize)
     * expected); no sort either way.
     *
     * @param scratch {@code [vocabSize]} workspace
     * @param heap    {@code [Selection.MAX_HEAP_K]} workspace
     */
    static void applyTopK(float[] x, int vocabSize, int k, float[] scratch, float[] heap) {
        float kth;
        if (k <= heap.length) {
            kth = Selection.kthLargestByHeap(x, vocabSize, k, heap);
        } else {
            int m = 0;
            for (int i = 0; i < vocabSize; i++) if (x[i] != Float.NEGATIVE_INFINITY) scratch[m++] = x[i];
            if (m <= k) return;
            kth = Selection.kthLargest(scratch, m, k);
        }
        for (int i = 0; i < vocabSize; i++) if (x[i] < kth) x[i] = Float.NEGATIVE_INFINITY;
    }

    /**
     * Weights {@code exp(x - max)} of a processed row into {@code weights} (0 for removed tokens): the
     * unnormalized distribution a token is drawn from.
     *
     * @param intScratch {@code [vocabSize]} workspace
     */
    static void weights(float[] x, int vocabSize, float[] weights, int[] intScratch) {
        FastExp.expShifted(x, vocabSize, max(x, vocabSize), weights, intScratch);
    }

    /**
     * top_p (nucleus) on the weights: keeps the most likely tokens until their probability mass
     * reaches p (the token that crosses p is kept; so are its ties), removing the rest from both
     * {@code x} (-Infinity) and {@code weights} (0). The cutoff comes from {@link TopPCutoff}
     * in O(vocabSize), instead of vLLM's full sort, which a CPU cannot afford on a 150k vocabulary.
     */
    static void applyTopP(float[] x, float[] weights, int vocabSize, double p, TopPCutoff topP) {
        float cutoff = topP.cutoff(weights, vocabSize, p);
        for (int i = 0; i < vocabSize; i++) {
            if (weights[i] < cutoff) {
                weights[i] = 0f;
                x[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Largest value, or -Infinity for an all -Infinity row. */
    static float max(float[] x, int vocabSize) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocabSize; i++) if (x[i] > max) max = x[i];
        return max;
    }

    /** Index of the largest value, the lowest on ties (torch.argmax). */
    static int argmax(float[] x, int offset, int vocabSize) {
        int best = 0;
        for (int i = 1; i < vocabSize; i++) if (x[offset + i] > x[offset + best]) best = i;
        return best;
    }
}
