package dev.pagoda.engine.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a Hugging Face model directory with deterministic random weights for any
 * {@link ModelConfig}: {@code config.json}, {@code model.safetensors} (in {@code config.dtype()})
 * and {@code generation_config.json}. Tests use tiny ones; the decode benchmark writes a
 * Qwen2.5-0.5B-shaped bf16 one (~1 GB), which streams to disk without passing through the heap.
 * transformers can load the result too, which is how the conformance goldens are made.
 *
 * <p>Tied models get no {@code lm_head.weight}, as Llama 3.2 and Qwen2.5 ship them.
 */
public final class RandomModelWriter {
    private RandomModelWriter() {}

    /** Writes {@code config} into {@code dir} (created if needed) with {@link RandomWeights#DEFAULT}. */
    public static Path write(Path dir, ModelConfig config) {
        return write(dir, config, RandomWeights.DEFAULT);
    }

    /** Writes {@code config} into {@code dir} with weights drawn from {@code random}; returns {@code dir}. */
    public static Path write(Path dir, ModelConfig config, RandomWeights random) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), ModelConfigParser.toJson(config));
            Files.writeString(dir.resolve(GenerationConfig.FILE_NAME), GenerationConfig.fromModelConfig(config).toJson());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the model in " + dir, e);
        }
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (CheckpointLayout.TensorSpec spec : CheckpointLayout.tensors(config)) {
            entries.add(new SafetensorsWriter.Entry(spec.name(), config.dtype(), spec.shape(),
                    out -> random.fill(spec, config.dtype(), out)));
        }
        SafetensorsWriter.write(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE), Map.of("format", "pt"), entries);
        return dir;
    }

    /**
     * Command line: {@code RandomModelWriter CONFIG_JSON OUT_DIR [float32|bfloat16|float16] [SEED]}
     * writes a random-weight model of that config's shape (e.g. for the decode benchmark).
     */
    public static void main(String[] args) {
        if (args.length < 2 || args.length > 4) {
            System.err.println("usage: RandomModelWriter CONFIG_JSON OUT_DIR [float32|bfloat16|float16] [SEED]");
            System.exit(2);
        }
        ModelConfig config = ModelConfigParser.parse(Path.of(args[0]));
        if (args.length > 2) config = withDType(config, DType.fromTorchName(args[2]));
        RandomWeights random = args.length > 3 ? new RandomWeights(Long.parseLong(args[3]), RandomWeights.DEFAULT.scale()) : RandomWeights.DEFAULT;
        long start = System.nanoTime();
        write(Path.of(args[1]), config, random);
        System.err.printf("wrote %s (%s, %s) in %.1f s%n", args[1], config.architecture(), config.dtype(), (System.nanoTime() - start) / 1e9);
    }

    /** {@code config} with another weight dtype. */
    public static ModelConfig withDType(ModelConfig c, DType dtype) {
        return new ModelConfig(c.architecture(), c.modelType(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.vocabSize(), c.maxPositionEmbeddings(),
                c.rmsNormEps(), c.ropeTheta(), c.ropeScaling(), c.tieWordEmbeddings(), c.attentionBias(), c.qkNorm(),
                dtype, c.bosTokenId(), c.eosTokenIds());
    }
}
