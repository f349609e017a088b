package dev.pagoda.engine.model;

import static dev.pagoda.engine.model.ModelConfigParserTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loader checks every tensor the config needs, and refuses tensors the config does not explain. */
class WeightLoaderTest {
    @TempDir Path tmp;

    /**
     * A model directory for {@code config} whose tensor list went through {@code edit} (drop,
     * reshape or add entries) before writing.
     */
    Path model(ModelConfig config, UnaryOperator<List<SafetensorsWriter.Entry>> edit) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("m" + System.nanoTime()));
        Files.writeString(dir.resolve("config.json"), ModelConfigParser.toJson(config));
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (CheckpointLayout.TensorSpec s : CheckpointLayout.tensors(config)) {
            entries.add(entry(s.name(), config.dtype(), s.shape()));
        }
        SafetensorsWriter.write(dir.resolve("model.safetensors"), Map.of(), edit.apply(entries));
        return dir;
    }

    static SafetensorsWriter.Entry entry(String name, DType dtype, long... shape) {
        return new SafetensorsWriter.Entry(name, dtype, shape, out -> out.fill((byte) 0));
    }

    static ModelLoadException loadFails(Path dir) {
        return assertThrows(ModelLoadException.class, () -> ModelLoader.load(dir).close());
    }

    @Test
    void missingTensorNamesItsExpectedShape() throws IOException {
        String name = "model.layers.1.mlp.up_proj.weight";
        Path dir = model(TinyConfigs.llama(DType.F32), l -> { l.removeIf(e -> e.name().equals(name)); return l; });
        assertMessage(loadFails(dir), "missing tensor " + name, "[48, 32]", dir.resolve("model.safetensors").toString());
    }

    @Test
    void wrongShapeNamesFileTensorAndBothShapes() throws IOException {
        String name = "model.layers.0.self_attn.k_proj.weight";
        Path dir = model(TinyConfigs.llama(DType.F32), l -> {
            l.replaceAll(e -> e.name().equals(name) ? entry(name, DType.F32, 32, 32) : e);
            return l;
        });
        assertMessage(loadFails(dir), dir.resolve("model.safetensors").toString(), name, "[32, 32]", "[16, 32]");
    }

    @Test
    void missingBiasOfQwen2() throws IOException {
        String name = "model.layers.0.self_attn.v_proj.bias";
        Path dir = model(TinyConfigs.qwen2(DType.BF16), l -> { l.removeIf(e -> e.name().equals(name)); return l; });
        assertMessage(loadFails(dir), "missing tensor " + name, "[16]");
    }

    @Test
    void untiedModelWithoutLmHead() throws IOException {
        Path dir = model(TinyConfigs.mistral(DType.F16), l -> { l.removeIf(e -> e.name().equals("lm_head.weight")); return l; });
        assertMessage(loadFails(dir), "missing tensor lm_head.weight", "[80, 32]");
    }

    @Test
    void tensorsTheConfigDoesNotExplainAreRefused() throws IOException {
        Path dir = model(TinyConfigs.llama(DType.F32), l -> {
            l.add(entry("model.layers.0.self_attn.q_proj.bias", DType.F32, 32));
            l.add(entry("model.layers.2.mlp.up_proj.weight", DType.F32, 48, 32));
            return l;
        });
        assertMessage(loadFails(dir), dir.resolve("model.safetensors").toString(), "tensor model.layers.0.self_attn.q_proj.bias",
                "not part of LlamaForCausalLM", "1 more unexpected: model.layers.2.mlp.up_proj.weight");
    }

    @Test
    void ropeCachesAndATiedLmHeadAreSkippedAsVllmDoes() throws IOException {
        ModelConfig qwen = TinyConfigs.qwen2(DType.F32);
        Path dir = model(qwen, l -> {
            l.add(entry("model.layers.0.self_attn.rotary_emb.inv_freq", DType.F32, 4));
            l.add(entry("lm_head.weight", DType.F32, 100, 32));
            return l;
        });
        try (LoadedModel m = ModelLoader.load(dir)) {
            assertSame(m.weights().embedTokens(), m.weights().lmHead());
            assertEquals(2, m.weights().layers().size());
        }
    }
}
