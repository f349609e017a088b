package dev.pagoda.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * {@code --dataset random} (vLLM's {@code RandomDataset}): prompt and output lengths drawn uniformly
 * from {@code [len × (1 − rangeRatio), len × (1 + rangeRatio)]}, prompt i the token ids
 * {@code (offset_i + i + j) mod vocabSize} for j = 0, 1, … with a random offset per request, so no
 * two prompts share a prefix (no prefix-cache hits flatter the figures).
 */
public final class RandomDataset {
    private RandomDataset() {}

    public static List<BenchRequest> sample(int numRequests, int inputLen, int outputLen, double rangeRatio, int vocabSize, long seed) {
        if (numRequests < 1) throw new IllegalArgumentException("--num-prompts must be at least 1, got " + numRequests);
        if (inputLen < 1 || outputLen < 1) throw new IllegalArgumentException("--input-len and --output-len must be at least 1");
        if (!(rangeRatio >= 0 && rangeRatio < 1)) throw new IllegalArgumentException("--range-ratio must be in [0, 1), got " + rangeRatio);
        Random random = new Random(seed);
        List<BenchRequest> out = new ArrayList<>(numRequests);
        for (int i = 0; i < numRequests; i++) {
            int in = Math.max(1, uniform(random, inputLen, rangeRatio));
            int outLen = Math.max(1, uniform(random, outputLen, rangeRatio));
            int offset = random.nextInt(vocabSize);
            int[] ids = new int[in];
            for (int j = 0; j < in; j++) ids[j] = (int) (((long) offset + i + j) % vocabSize);
            out.add(new BenchRequest(ids, outLen));
        }
        return out;
    }

    /** An integer uniform in [⌊len(1−r)⌋, ⌊len(1+r)⌋] (numpy's randint(low, high + 1)). */
    static int uniform(Random random, int len, double rangeRatio) {
        int low = (int) (len * (1 - rangeRatio)), high = (int) (len * (1 + rangeRatio));
        return low + random.nextInt(high - low + 1);
    }
}
