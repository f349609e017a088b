package dev.pagoda.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ModelLoaderTest {
    @TempDir Path tmp;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Element {@code i} of a tensor, widened to fp32. */
    static float get(Tensor t, long i) {
        MemorySegment d = t.data();
        return switch (t.dtype()) {
            case F32 -> d.getAtIndex(F32, i);
            case BF16 -> Float.intBitsToFloat(d.getAtIndex(U16, i) << 16);
            case F16 -> Float.float16ToFloat(d.getAtIndex(U16, i));
        };
    }

    @Test
    void bundledStories260kLoads() {
        try (LoadedModel m = ModelLoader.load(Fixtures.stories260k())) {
            ModelConfig c = m.config();
            assertEquals("LlamaForCausalLM", c.architecture());
            assertEquals(64, c.hiddenSize());
            assertEquals(5, c.numHiddenLayers());
            assertEquals(2, c.numQueriesPerKv());
            assertEquals(DType.F32, c.dtype());
            ModelWeights w = m.weights();
            assertEquals(5, w.layers().size());
            assertArrayEquals(new long[] {512, 64}, w.embedTokens().shape());
            assertArrayEquals(new long[] {32, 64}, w.layers().get(4).kProj().shape());
            assertArrayEquals(new long[] {64, 172}, w.layers().get(0).downProj().shape());
            assertEquals(Optional.empty(), w.layers().get(0).qBias());
            assertSame(w.embedTokens(), w.lmHead(), "tie_word_embeddings: lm_head is the embedding matrix");
            // Values read with Python's struct from the same file.
            assertEquals(-0.29474878311157227f, get(w.embedTokens(), 0));
            assertEquals(0.5618956089019775f, get(w.embedTokens(), 1));
            assertEquals(1.3673226833343506f, get(w.norm(), 1));
            assertTrue(w.embedTokens().data().isMapped());
            assertEquals(1, m.generationConfig().bosTokenId());
            assertEquals(List.of(2), m.generationConfig().stopTokenIds(c));
            long expectedBytes = 4L * (512 * 64 + 64 + 5 * (64 * 64 * 2 + 32 * 64 * 2 + 172 * 64 * 3 + 64 * 2));
            assertEquals(expectedBytes, m.weightBytes());
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void randomModelRoundTripsThroughTheLoader(DType dtype) {
        for (ModelConfig config : TinyConfigs.all(dtype)) {
            Path dir = RandomModelWriter.write(tmp.resolve(config.modelType() + "-" + dtype), config);
            try (LoadedModel m = ModelLoader.load(dir, LoadFormat.SAFETENSORS)) {
                assertEquals(config, m.config());
                assertWeightsAreTheRandomValues(config, m.weights(), RandomWeights.DEFAULT);
                assertEquals(GenerationConfig.fromModelConfig(config), m.generationConfig());
            }
        }
    }

    @Test
    void dummyLoadMatchesTheWrittenRandomModelWithoutReadingWeights() throws IOException {
        for (ModelConfig config : TinyConfigs.all(DType.BF16)) {
            Path written = RandomModelWriter.write(tmp.resolve("w-" + config.modelType()), config);
            Path configOnly = Files.createDirectories(tmp.resolve("c-" + config.modelType()));
            Files.copy(written.resolve("config.json"), configOnly.resolve("config.json"));
            try (LoadedModel fromFile = ModelLoader.load(written, LoadFormat.SAFETENSORS);
                 LoadedModel dummy = ModelLoader.load(configOnly, LoadFormat.DUMMY)) {
                assertEquals(LoadFormat.DUMMY, dummy.format());
                assertFalse(dummy.weights().embedTokens().data().isMapped(), "dummy weights are allocated, not mapped");
                assertWeightsAreTheRandomValues(config, dummy.weights(), RandomWeights.DEFAULT);
                assertEquals(fromFile.weightBytes(), dummy.weightBytes());
                assertEquals(-1, fromFile.weights().layers().getLast().downProj().data()
                        .mismatch(dummy.weights().layers().getLast().downProj().data()), "same bytes as the written model");
            }
        }
    }

    @Test
    void dummyLoadOfARealShape() throws IOException {
        // Qwen2.5-0.5B's layer shapes (bias, GQA 7), with one layer and a small vocabulary to stay fast.
        ModelConfig real = ModelConfigParser.parse(ModelConfigParserTest.fixture("qwen2.5-0.5b-instruct.json"));
        ModelConfig small = new ModelConfig(real.architecture(), real.modelType(), real.hiddenSize(), real.intermediateSize(), 1,
                real.numAttentionHeads(), real.numKeyValueHeads(), real.headDim(), 1000, real.maxPositionEmbeddings(), real.rmsNormEps(),
                real.ropeTheta(), real.ropeScaling(), real.tieWordEmbeddings(), real.attentionBias(), real.qkNorm(), real.dtype(),
                real.bosTokenId(), real.eosTokenIds());
        Path dir = Files.createDirectories(tmp.resolve("qwen-small"));
        Files.writeString(dir.resolve("config.json"), ModelConfigParser.toJson(small));
        // Tensors of several million elements are filled by several threads, in the writer as in the dummy loader.
        Path written = RandomModelWriter.write(tmp.resolve("qwen-small-written"), small);
        try (LoadedModel m = ModelLoader.load(dir, LoadFormat.DUMMY); LoadedModel fromFile = ModelLoader.load(written)) {
            assertEquals(-1, m.weights().layers().getFirst().gateProj().data().mismatch(fromFile.weights().layers().getFirst().gateProj().data()));
            DecoderLayerWeights l = m.weights().layers().getFirst();
            assertArrayEquals(new long[] {896, 896}, l.qProj().shape());
            assertArrayEquals(new long[] {128, 896}, l.kProj().shape());
            assertArrayEquals(new long[] {128}, l.kBias().orElseThrow().shape());
            assertArrayEquals(new long[] {4864, 896}, l.gateProj().shape());
            assertEquals(DType.BF16, l.qProj().dtype());
            assertEquals(0, l.qProj().data().address() % 64, "off-heap, cache-line aligned");
            for (long i = 0; i < 1000; i++) {
                float w = get(l.qProj(), i);
                assertTrue(Math.abs(w) <= 0.0201f, "linear weights are small: " + w);
                float n = get(l.inputLayernorm(), i % 896);
                assertTrue(Math.abs(n - 1) <= 0.025f, "norm weights are near 1 (bf16 has 8 bits of mantissa): " + n);
            }
        }
    }

    @Test
    void dummyWeightsBeyondPhysicalMemoryAreRefusedBeforeAllocating() throws IOException {
        // Every size within its bound, the product far beyond any machine: 1024 layers of 65536 x 262144 matrices.
        ModelConfig tiny = TinyConfigs.llama(DType.BF16);
        ModelConfig huge = new ModelConfig(tiny.architecture(), tiny.modelType(), 1 << 16, 1 << 18, 1 << 10, 64, 8, 1024,
                1 << 22, 4096, tiny.rmsNormEps(), tiny.ropeTheta(), tiny.ropeScaling(), false, false, false, DType.BF16,
                tiny.bosTokenId(), tiny.eosTokenIds());
        Path dir = Files.createDirectories(tmp.resolve("huge"));
        Files.writeString(dir.resolve("config.json"), ModelConfigParser.toJson(huge));
        var e = assertThrows(ModelLoadException.class, () -> ModelLoader.load(dir, LoadFormat.DUMMY));
        ModelConfigParserTest.assertMessage(e, dir.resolve("config.json").toString(), "dummy weights", "bytes of memory");
    }

    @Test
    void notADirectoryIsNamed() {
        Path missing = tmp.resolve("nothing-here");
        var e = assertThrows(ModelLoadException.class, () -> ModelLoader.load(missing));
        ModelConfigParserTest.assertMessage(e, missing.toString(), "not a directory");
    }

    @Test
    void closingTheModelUnmapsItsWeights() {
        LoadedModel m = ModelLoader.load(Fixtures.stories260k());
        Tensor embed = m.weights().embedTokens();
        m.close();
        assertThrows(IllegalStateException.class, () -> get(embed, 0));
    }

    /** Every tensor holds exactly {@link RandomWeights}' values for its name, rounded to its dtype. */
    static void assertWeightsAreTheRandomValues(ModelConfig config, ModelWeights w, RandomWeights random) {
        assertEquals(config.numHiddenLayers(), w.layers().size());
        if (config.tieWordEmbeddings()) assertSame(w.embedTokens(), w.lmHead());
        else assertNotSame(w.embedTokens(), w.lmHead());
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            DecoderLayerWeights l = w.layers().get(i);
            assertEquals(config.attentionBias(), l.qBias().isPresent());
            assertEquals(config.attentionBias(), l.vBias().isPresent());
            assertEquals(config.qkNorm(), l.qNorm().isPresent());
            assertEquals(config.qkNorm(), l.kNorm().isPresent());
        }
        List<Tensor> sample = new java.util.ArrayList<>(List.of(w.embedTokens(), w.lmHead(), w.norm(),
                w.layers().getLast().qProj(), w.layers().getLast().postAttentionLayernorm(), w.layers().getFirst().downProj()));
        w.layers().getFirst().kBias().ifPresent(sample::add);
        w.layers().getFirst().qNorm().ifPresent(sample::add);
        for (Tensor t : sample) {
            CheckpointLayout.TensorSpec spec = CheckpointLayout.tensors(config).stream()
                    .filter(s -> s.name().equals(t.name())).findFirst().orElseThrow();
            assertArrayEquals(spec.shape(), t.shape(), t.name());
            assertEquals(config.dtype(), t.dtype(), t.name());
            long seed = random.tensorSeed(t.name());
            for (long i = 0; i < t.numElements(); i += 7) {
                float expected = roundTo(config.dtype(), random.value(seed, spec.role(), i));
                assertEquals(expected, get(t, i), t.name() + "[" + i + "]");
            }
        }
    }

    static float roundTo(DType dtype, float v) {
        return switch (dtype) {
            case F32 -> v;
            case BF16 -> Float.intBitsToFloat(RandomWeights.toBf16(v) << 16);
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
        };
    }
}
