package dev.pagoda.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.backend.cpu.TestBatches.Step;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.RopeScaling;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A developer's check of the CPU backend against Hugging Face transformers (fp32), on the models
 * {@code src/test/python/hf_reference.py} writes; runs only when {@code PAGODA_HF_REFERENCE} names
 * that directory (the committed goldens live in the conformance module). Every position of the
 * prompt, in one prefill and token by token, must be within 1e-5 (max |Δ| / max |ref|).
 */
@EnabledIfEnvironmentVariable(named = "PAGODA_HF_REFERENCE", matches = ".+")
class HfReferenceCheck {

    static Stream<Path> cases() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getenv("PAGODA_HF_REFERENCE")))) {
            return s.filter(p -> Files.exists(p.resolve("meta.json"))).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesTransformers(Path dir) throws IOException {
        Map<String, Object> meta = Json.parseObject(Files.readString(dir.resolve("meta.json")));
        ModelConfig c = config(meta);
        int[] ids = ((List<?>) meta.get("inputIds")).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
        int v = c.vocabSize();
        float[] expected = new float[ids.length * v];
        MemorySegment.ofArray(Files.readAllBytes(dir.resolve("logits.f32")))
                .asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(expected);
        try (Arena arena = Arena.ofShared(); CpuBackend b = new CpuBackend(new BackendOptions(2))) {
            b.loadModel(c, TestSafetensors.weights(c, TestSafetensors.read(dir.resolve("model.safetensors"), arena)));
            b.allocateKvCache(8, 4);
            int[] table = {5, 0, 7, 2};
            Logits prefill = b.forward(TestBatches.batch(4, List.of(new Step(ids, table, 0, ids.length))));
            double worst = 0;
            for (int t = 0; t < ids.length; t++) {
                float[] ref = java.util.Arrays.copyOfRange(expected, t * v, (t + 1) * v);
                Logits decode = b.forward(TestBatches.batch(4, List.of(new Step(ids, table, t, 1))));
                worst = Math.max(worst, Math.max(NaiveOps.relativeError(prefill.row(t), ref), NaiveOps.relativeError(decode.row(0), ref)));
            }
            System.out.printf("%s: max relative error %.3g%n", dir.getFileName(), worst);
            assertTrue(worst <= 1e-5, dir.getFileName() + ": max relative error " + worst);
        }
    }

    private static ModelConfig config(Map<String, Object> m) {
        RopeScaling scaling = new RopeScaling.None();
        if (m.get("ropeScaling") instanceof Map<?, ?> rs) {
            scaling = new RopeScaling.Llama3(num(rs.get("factor")), num(rs.get("low_freq_factor")), num(rs.get("high_freq_factor")),
                    (int) num(rs.get("original_max_position_embeddings")));
        }
        return new ModelConfig((String) m.get("architecture"), "test", (int) num(m.get("hiddenSize")), (int) num(m.get("intermediateSize")),
                (int) num(m.get("numHiddenLayers")), (int) num(m.get("numAttentionHeads")), (int) num(m.get("numKeyValueHeads")),
                (int) num(m.get("headDim")), (int) num(m.get("vocabSize")), 256, num(m.get("rmsNormEps")), num(m.get("ropeTheta")),
                scaling, (Boolean) m.get("tieWordEmbeddings"), (Boolean) m.get("attentionBias"), (Boolean) m.get("qkNorm"),
                DType.valueOf((String) m.get("dtype")), -1, List.of());
    }

    private static double num(Object o) {
        return ((Number) o).doubleValue();
    }
}
