package dev.pagoda.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.model.RopeScaling;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The golden models cover what issue 2 promises, as Pagoda's own loader reads them: every family,
 * llama3 rope scaling, q/k/v bias, q/k norm, tied and untied embeddings, GQA ratios 1, 2 and 4+,
 * a head_dim other than hidden/heads, and weights stored as F32, BF16 and F16.
 */
class GoldenCoverageTest {

    @Test
    void goldenModelsCoverEverySupportedFeature() {
        Set<String> modelTypes = new HashSet<>();
        Set<Integer> gqaRatios = new HashSet<>();
        Set<DType> weightDtypes = new HashSet<>();
        Set<Boolean> tied = new HashSet<>();
        boolean llama3Rope = false, bias = false, qkNorm = false, oddHeadDim = false;
        for (LogitGolden golden : LogitGolden.all()) {
            try (LoadedModel model = ModelLoader.load(golden.modelDir(), LoadFormat.SAFETENSORS)) {
                ModelConfig c = model.config();
                assertEquals(golden.vocabSize(), c.vocabSize(), golden.name() + ": golden vocab vs config.json");
                modelTypes.add(c.modelType());
                gqaRatios.add(c.numQueriesPerKv());
                weightDtypes.add(model.weights().layers().getFirst().qProj().dtype());
                tied.add(c.tieWordEmbeddings());
                llama3Rope |= c.ropeScaling() instanceof RopeScaling.Llama3;
                bias |= c.attentionBias();
                qkNorm |= c.qkNorm();
                oddHeadDim |= c.headDim() * c.numAttentionHeads() != c.hiddenSize();
            }
        }
        assertEquals(Set.of("llama", "mistral", "qwen2", "qwen3"), modelTypes);
        assertTrue(gqaRatios.containsAll(Set.of(1, 2, 4)), "GQA ratios " + gqaRatios);
        assertEquals(Set.of(DType.F32, DType.BF16, DType.F16), weightDtypes);
        assertEquals(Set.of(true, false), tied);
        assertTrue(llama3Rope, "no golden model uses llama3 rope scaling");
        assertTrue(bias, "no golden model has q/k/v bias");
        assertTrue(qkNorm, "no golden model has q/k norm");
        assertTrue(oddHeadDim, "no golden model has head_dim != hidden_size / num_attention_heads");
    }
}
