package dev.pagoda.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.json.Json;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ModelConfigParserTest {
    @TempDir Path tmp;

    static Path fixture(String name) {
        try {
            return Path.of(ModelConfigParserTest.class.getResource("configs/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void llama2() {
        ModelConfig c = ModelConfigParser.parse(fixture("llama2-7b.json"));
        assertEquals("LlamaForCausalLM", c.architecture());
        assertEquals("llama", c.modelType());
        assertEquals(4096, c.hiddenSize());
        assertEquals(11008, c.intermediateSize());
        assertEquals(32, c.numHiddenLayers());
        assertEquals(32, c.numKeyValueHeads());
        assertEquals(128, c.headDim());
        assertEquals(32000, c.vocabSize());
        assertEquals(4096, c.maxPositionEmbeddings());
        assertEquals(1e-5, c.rmsNormEps());
        assertEquals(10000.0, c.ropeTheta(), "rope_theta defaults to 10000");
        assertInstanceOf(RopeScaling.None.class, c.ropeScaling());
        assertFalse(c.tieWordEmbeddings());
        assertFalse(c.attentionBias());
        assertFalse(c.qkNorm());
        assertEquals(DType.F16, c.dtype());
        assertEquals(1, c.bosTokenId());
        assertEquals(List.of(2), c.eosTokenIds());
    }

    @Test
    void llama31WithLlama3RopeScaling() {
        ModelConfig c = ModelConfigParser.parse(fixture("llama3.1-8b-instruct.json"));
        assertEquals(8, c.numKeyValueHeads());
        assertEquals(4, c.numQueriesPerKv());
        assertEquals(128, c.headDim());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(new RopeScaling.Llama3(8.0, 1.0, 4.0, 8192), c.ropeScaling());
        assertEquals(List.of(128001, 128008, 128009), c.eosTokenIds());
        assertEquals(DType.BF16, c.dtype());
        assertFalse(c.tieWordEmbeddings());
    }

    @Test
    void llama32Tied() {
        ModelConfig c = ModelConfigParser.parse(fixture("llama3.2-1b.json"));
        assertTrue(c.tieWordEmbeddings());
        assertEquals(64, c.headDim());
        assertEquals(new RopeScaling.Llama3(32.0, 1.0, 4.0, 8192), c.ropeScaling());
    }

    @Test
    void transformers5RopeParametersAndDtypeGiveTheSameConfig() {
        ModelConfig legacy = ModelConfigParser.parse(fixture("llama3.2-1b.json"));
        ModelConfig v5 = ModelConfigParser.parse(fixture("llama3.2-1b-transformers5.json"));
        assertEquals(legacy, v5);
    }

    @Test
    void mistral() {
        ModelConfig c = ModelConfigParser.parse(fixture("mistral-7b-instruct-v0.3.json"));
        assertEquals("mistral", c.modelType());
        assertEquals(32768, c.vocabSize());
        assertEquals(1000000.0, c.ropeTheta());
        assertEquals(8, c.numKeyValueHeads());
        assertFalse(c.attentionBias());
    }

    @Test
    void qwen25HasAttentionBias() {
        ModelConfig c = ModelConfigParser.parse(fixture("qwen2.5-0.5b-instruct.json"));
        assertTrue(c.attentionBias(), "Qwen2's q/k/v projections always carry a bias");
        assertFalse(c.qkNorm());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(64, c.headDim());
        assertEquals(7, c.numQueriesPerKv());
        assertEquals(1e-6, c.rmsNormEps());
        assertEquals(List.of(151645), c.eosTokenIds());
    }

    @Test
    void qwen3HasQkNormAndExplicitHeadDim() {
        ModelConfig c = ModelConfigParser.parse(fixture("qwen3-0.6b.json"));
        assertTrue(c.qkNorm());
        assertFalse(c.attentionBias());
        assertEquals(128, c.headDim(), "head_dim is given, not hidden_size / num_attention_heads = 64");
        assertEquals(2048, c.qSize());
        assertEquals(1000000.0, c.ropeTheta(), "an integer rope_theta is accepted");
    }

    @Test
    void realConfigsAreReadableFromTheClasspath() {
        assertEquals(ModelConfigParser.parse(fixture("qwen3-0.6b.json")), TinyConfigs.real("qwen3-0.6b.json"));
    }

    @Test
    void mistralV01SlidingWindowIsRejected() {
        Path f = fixture("mistral-7b-v0.1.json");
        var e = assertThrows(ModelLoadException.class, () -> ModelConfigParser.parse(f));
        assertMessage(e, f.toString(), "sliding_window", "4096");
    }

    @Test
    void writtenConfigParsesBackToItself() throws IOException {
        for (DType dtype : DType.values()) {
            for (ModelConfig c : TinyConfigs.all(dtype)) {
                Path f = tmp.resolve("config.json");
                Files.writeString(f, ModelConfigParser.toJson(c));
                assertEquals(c, ModelConfigParser.parse(f));
            }
        }
    }

    // ------------------------------------------------------------ bad values

    /** A change to the Llama 3.1 config, and what the error must mention besides the file. */
    record Bad(String description, Map<String, Object> changes, List<String> mentions) {
        @Override
        public String toString() {
            return description;
        }
    }

    static List<Bad> badConfigs() {
        return List.of(
                new Bad("unsupported architecture", Map.of("architectures", List.of("GPT2LMHeadModel")), List.of("architectures", "GPT2LMHeadModel", "LlamaForCausalLM")),
                new Bad("architectures not a list", Map.of("architectures", "LlamaForCausalLM"), List.of("architectures", "LlamaForCausalLM")),
                new Bad("gelu", Map.of("hidden_act", "gelu"), List.of("hidden_act", "gelu")),
                new Bad("linear rope", Map.of("rope_scaling", Map.of("type", "linear", "factor", 2.0)), List.of("rope_scaling.type", "linear")),
                new Bad("yarn rope", Map.of("rope_scaling", Map.of("rope_type", "yarn", "factor", 4.0)), List.of("rope_scaling.rope_type", "yarn")),
                new Bad("llama3 rope without factor", Map.of("rope_scaling", Map.of("rope_type", "llama3", "low_freq_factor", 1.0, "high_freq_factor", 4.0, "original_max_position_embeddings", 8192)), List.of("rope_scaling.factor", "missing")),
                new Bad("mlp bias", Map.of("mlp_bias", true), List.of("mlp_bias", "true")),
                new Bad("llama attention bias", Map.of("attention_bias", true), List.of("attention_bias", "true")),
                new Bad("missing hidden_size", mapWithNull("hidden_size"), List.of("hidden_size", "missing")),
                new Bad("string hidden_size", Map.of("hidden_size", "4096"), List.of("hidden_size", "\"4096\"", "integer")),
                new Bad("fractional layers", Map.of("num_hidden_layers", 32.5), List.of("num_hidden_layers", "32.5")),
                new Bad("zero heads", Map.of("num_attention_heads", 0), List.of("num_attention_heads", "0")),
                new Bad("kv heads not dividing heads", Map.of("num_key_value_heads", 5), List.of("num_key_value_heads", "5")),
                new Bad("odd head_dim", Map.of("head_dim", 7), List.of("head_dim", "7")),
                new Bad("negative eps", Map.of("rms_norm_eps", -1.0), List.of("rms_norm_eps", "-1.0")),
                new Bad("string rope_theta", Map.of("rope_theta", "5e5"), List.of("rope_theta", "\"5e5\"")),
                new Bad("bad tie flag", Map.of("tie_word_embeddings", "yes"), List.of("tie_word_embeddings", "\"yes\"")),
                new Bad("unknown dtype", Map.of("torch_dtype", "int8"), List.of("torch_dtype", "int8")),
                new Bad("bad eos", Map.of("eos_token_id", List.of(1, "x")), List.of("eos_token_id", "\"x\"")),
                new Bad("int overflow", Map.of("vocab_size", 1L << 40), List.of("vocab_size", String.valueOf(1L << 40))),
                // Absurd sizes that fit an int are refused by name before anything is sized from them.
                new Bad("absurd hidden_size", Map.of("hidden_size", Integer.MAX_VALUE), List.of("hidden_size", "2147483647", "maximum 65536")),
                new Bad("hidden_size 2^31", Map.of("hidden_size", 1L << 31), List.of("hidden_size", "2147483648", "out of range")),
                new Bad("absurd intermediate_size", Map.of("intermediate_size", 1 << 30), List.of("intermediate_size", "maximum 262144")),
                new Bad("absurd layers", Map.of("num_hidden_layers", 1_000_000), List.of("num_hidden_layers", "1000000", "maximum 1024")),
                new Bad("absurd heads", Map.of("num_attention_heads", 1 << 20, "num_key_value_heads", 1), List.of("num_attention_heads", "maximum 1024")),
                new Bad("absurd head_dim", Map.of("head_dim", 1 << 20), List.of("head_dim", "maximum 1024")),
                new Bad("absurd vocab", Map.of("vocab_size", 1 << 30), List.of("vocab_size", "maximum 4194304")),
                new Bad("absurd context", Map.of("max_position_embeddings", Integer.MAX_VALUE), List.of("max_position_embeddings", "maximum 16777216")),
                new Bad("missing vocab_size", mapWithNull("vocab_size"), List.of("vocab_size", "missing")),
                new Bad("array layers", Map.of("num_hidden_layers", List.of(32)), List.of("num_hidden_layers", "integer")),
                new Bad("rope_scaling not an object", Map.of("rope_scaling", "llama3"), List.of("rope_scaling", "object")),
                new Bad("quantized", Map.of("quantization_config", Map.of("quant_method", "awq")), List.of("quantization_config")),
                new Bad("qwen sliding window", Map.of("architectures", List.of("Qwen2ForCausalLM"), "use_sliding_window", true, "sliding_window", 4096), List.of("sliding_window", "4096")));
    }

    private static Map<String, Object> mapWithNull(String key) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(key, null);
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigs")
    void badValuesAreNamed(Bad bad) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>(Json.parseObject(Files.readString(fixture("llama3.1-8b-instruct.json"))));
        json.putAll(bad.changes());
        Path f = tmp.resolve("config.json");
        Files.writeString(f, Json.write(json));
        var e = assertThrows(ModelLoadException.class, () -> ModelConfigParser.parse(f));
        assertMessage(e, f.toString());
        assertMessage(e, bad.mentions().toArray(String[]::new));
    }

    @Test
    void invalidJsonAndMissingFileNameTheFile() throws IOException {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, "{\"hidden_size\": 64,");
        assertMessage(assertThrows(ModelLoadException.class, () -> ModelConfigParser.parse(f)), f.toString(), "not valid JSON");
        Path missing = tmp.resolve("nope/config.json");
        assertMessage(assertThrows(ModelLoadException.class, () -> ModelConfigParser.parse(missing)), missing.toString(), "no such file");
    }

    static void assertMessage(Throwable e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message should mention '" + p + "': " + e.getMessage());
        }
    }
}
