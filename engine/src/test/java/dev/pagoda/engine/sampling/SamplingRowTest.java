package dev.pagoda.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** A row carries the token history only where the penalties read it, and always the output count. */
class SamplingRowTest {
    @Test
    void rowsWithoutPenaltiesCarryOnlyTheCount() {
        SamplingParams plain = SamplingParams.builder().temperature(0.7).minTokens(4).seed(3L).build();
        assertEquals(false, plain.readsTokenHistory());
        SamplingRow row = SamplingRow.withoutHistory(plain, 17);
        assertEquals(17, row.numOutputTokens());
        assertEquals(0, row.promptTokenIds().length);
        assertEquals(0, row.outputTokenIds().length);
        assertEquals(3, new SamplingRow(plain, new int[] {1, 2}, new int[] {5, 6, 7}).numOutputTokens());
    }

    @Test
    void penaltiesNeedTheWholeHistory() {
        for (SamplingParams p : new SamplingParams[] {SamplingParams.builder().repetitionPenalty(1.1).build(),
                SamplingParams.builder().frequencyPenalty(0.5).build(), SamplingParams.builder().presencePenalty(-0.5).build()}) {
            assertEquals(true, p.readsTokenHistory());
            assertThrows(IllegalArgumentException.class, () -> SamplingRow.withoutHistory(p, 2));
            assertThrows(IllegalArgumentException.class, () -> new SamplingRow(p, new int[] {1}, new int[0], 2));
            assertEquals(2, new SamplingRow(p, new int[] {1}, new int[] {4, 4}).numOutputTokens());
        }
    }

    /** The host sampler gives a row without history what it gives the same row with it (min_tokens and the seed read the count). */
    @Test
    void samplingIsTheSameWithAndWithoutTheHistory() {
        int vocab = 64;
        float[] logits = new float[vocab];
        java.util.Random rnd = new java.util.Random(5);
        for (int i = 0; i < vocab; i++) logits[i] = (float) rnd.nextGaussian();
        logits[2] = 9; // the EOS below: masked while under min_tokens
        SamplingParams p = SamplingParams.builder().temperature(0.9).topK(20).minTokens(6).seed(11L).build();
        for (int numOutput : new int[] {0, 5, 6, 30}) {
            int[] output = new int[numOutput];
            java.util.List<SamplingRow> full = java.util.List.of(new SamplingRow(p, new int[] {1, 2, 3}, output));
            java.util.List<SamplingRow> counts = java.util.List.of(SamplingRow.withoutHistory(p, numOutput));
            Sampler a = new Sampler(java.util.Set.of(2), 0), b = new Sampler(java.util.Set.of(2), 0);
            dev.pagoda.engine.backend.Logits l = new dev.pagoda.engine.backend.Logits(1, vocab, logits.clone());
            assertEquals(a.sample(l, full).tokenIds()[0], b.sample(new dev.pagoda.engine.backend.Logits(1, vocab, logits.clone()), counts).tokenIds()[0],
                    numOutput + " output tokens");
        }
    }
}
