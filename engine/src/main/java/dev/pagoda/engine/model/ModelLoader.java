package dev.pagoda.engine.model;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads a Hugging Face model directory: {@code config.json} → {@link ModelConfig},
 * {@code generation_config.json} → {@link GenerationConfig}, and the weights, either memory-mapped
 * from safetensors (nothing copied to the heap) or random ({@link LoadFormat#DUMMY}).
 *
 * <pre>{@code
 * try (LoadedModel model = ModelLoader.load(Path.of("models/stories260k"), LoadFormat.SAFETENSORS)) {
 *     backend.loadWeights(model.config(), model.weights());
 *     ...
 * }
 * }</pre>
 */
public final class ModelLoader {
    private ModelLoader() {}

    public static LoadedModel load(Path modelDir) {
        return load(modelDir, LoadFormat.SAFETENSORS);
    }

    /** Loads {@code modelDir}; any problem is a {@link ModelLoadException} naming the file and what is wrong. */
    public static LoadedModel load(Path modelDir, LoadFormat format) {
        if (!Files.isDirectory(modelDir)) throw new ModelLoadException(modelDir + ": not a directory (expected a Hugging Face model directory)");
        ModelConfig config = ModelConfigParser.parse(modelDir.resolve("config.json"));
        GenerationConfig generationConfig = GenerationConfig.load(modelDir, config);
        Arena arena = Arena.ofShared();
        try {
            ModelWeights weights = switch (format) {
                case SAFETENSORS -> WeightLoader.load(config, SafetensorsCheckpoint.open(modelDir, arena));
                case DUMMY -> dummy(modelDir, config, arena);
            };
            return new LoadedModel(modelDir, config, weights, generationConfig, format, arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static ModelWeights dummy(Path modelDir, ModelConfig config, Arena arena) {
        try {
            return DummyWeights.create(config, arena, RandomWeights.DEFAULT);
        } catch (ModelLoadException e) {
            throw new ModelLoadException(modelDir.resolve("config.json") + ": " + e.getMessage(), e);
        }
    }
}
