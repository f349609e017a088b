package dev.pagoda.conformance;

import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelConfigParser;
import dev.pagoda.engine.model.RandomModelWriter;
import dev.pagoda.engine.model.RandomWeights;
import dev.pagoda.engine.model.RopeScaling;
import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The random-weight models that complete the conformance matrix: every architecture (Llama with
 * llama3 RoPE scaling, Mistral, Qwen2 with q/k/v bias and tied embeddings, Qwen3 with q/k norm)
 * at head sizes 64 and 128 and GQA ratios 1, 4 and 8 (8 query heads over 8, 2 or 1 KV heads),
 * the shapes real checkpoints have (Llama 3 8B: 128 / 4; Qwen2.5-0.5B: 64 / 7). The committed
 * test models (conformance/src/test/resources/models, with HF goldens) cover head sizes 8–32 and
 * the dtypes; these are written on first use by {@link RandomModelWriter} (fp32, 2 layers, hidden
 * 64, vocab 256, weights uniform in ±0.25: a few hundred KB each) under {@code conformance/target/model-matrix}.
 */
public final class ModelMatrix {
    public static final List<String> ARCHITECTURES = List.of("llama", "mistral", "qwen2", "qwen3");
    public static final List<Integer> HEAD_SIZES = List.of(64, 128);
    public static final List<Integer> GQA_RATIOS = List.of(1, 4, 8);
    static final int NUM_HEADS = 8;
    /**
     * Uniform in [-0.25, 0.25), the committed test models' initializer_range: transformers' 0.02 leaves
     * 2-layer random models with nearly flat logits (KL ~1e-7 whatever the kernels do), too weak a check.
     */
    static final RandomWeights WEIGHTS = new RandomWeights(1234, 0.25);

    private ModelMatrix() {}

    /** One matrix entry: the config and the directory name it is written under. */
    public record Entry(String name, ModelConfig config) {}

    public static List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        for (String arch : ARCHITECTURES) {
            for (int headSize : HEAD_SIZES) {
                for (int ratio : GQA_RATIOS) out.add(new Entry(arch + "-hd" + headSize + "-gqa" + ratio, config(arch, headSize, NUM_HEADS / ratio)));
            }
        }
        return out;
    }

    static ModelConfig config(String arch, int headSize, int numKvHeads) {
        return switch (arch) {
            case "llama" -> new ModelConfig("LlamaForCausalLM", "llama", 64, 96, 2, NUM_HEADS, numKvHeads, headSize, 256, 256, 1e-5, 500000.0,
                    new RopeScaling.Llama3(8.0, 1.0, 4.0, 64), false, false, false, DType.F32, 1, List.of(2));
            case "mistral" -> new ModelConfig("MistralForCausalLM", "mistral", 64, 96, 2, NUM_HEADS, numKvHeads, headSize, 256, 256, 1e-5, 1000000.0,
                    new RopeScaling.None(), false, false, false, DType.F32, 1, List.of(2));
            case "qwen2" -> new ModelConfig("Qwen2ForCausalLM", "qwen2", 64, 96, 2, NUM_HEADS, numKvHeads, headSize, 256, 256, 1e-6, 1000000.0,
                    new RopeScaling.None(), true, true, false, DType.F32, 1, List.of(2));
            case "qwen3" -> new ModelConfig("Qwen3ForCausalLM", "qwen3", 64, 96, 2, NUM_HEADS, numKvHeads, headSize, 256, 256, 1e-6, 1000000.0,
                    new RopeScaling.None(), true, false, true, DType.F32, 1, List.of(2));
            default -> throw new IllegalArgumentException("no matrix config for architecture " + arch);
        };
    }

    /** The model's directory, written now unless an identical config.json is already there. */
    public static Path directory(Entry e) {
        Path dir = Fixtures.repoRoot().resolve("conformance/target/model-matrix").resolve(e.name());
        try {
            String json = ModelConfigParser.toJson(e.config());
            Path config = dir.resolve("config.json");
            Path stamp = dir.resolve("weights-scale.txt"); // a change of WEIGHTS rewrites the models too
            String scale = WEIGHTS.seed() + " " + WEIGHTS.scale();
            if (!Files.exists(dir.resolve("model.safetensors")) || !Files.exists(config) || !Files.readString(config).equals(json)
                    || !Files.exists(stamp) || !Files.readString(stamp).equals(scale)) {
                RandomModelWriter.write(dir, e.config(), WEIGHTS);
                Files.writeString(stamp, scale);
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return dir;
    }
}
