package dev.pagoda.engine.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Maps checkpoint tensors onto {@link ModelWeights}, checking them against {@link CheckpointLayout}:
 * every tensor the config needs must be there with exactly the expected shape. Tensors the config
 * does not account for are an error too (as in vLLM, whose loader fails on an unknown parameter):
 * an unused {@code q_proj.bias} or an extra layer means config.json and the weights disagree, and
 * running anyway would give silently wrong logits. RoPE caches and a tied {@code lm_head} are skipped.
 */
public final class WeightLoader {
    private WeightLoader() {}

    /** The weights of {@code config} from a safetensors checkpoint. */
    public static ModelWeights load(ModelConfig config, SafetensorsCheckpoint checkpoint) {
        return fromTensors(config, checkpoint.tensors(), name -> String.valueOf(checkpoint.fileOf(name)));
    }

    /**
     * The weights of {@code config} from named tensors.
     *
     * @param where the file a tensor came from, for messages
     */
    public static ModelWeights fromTensors(ModelConfig config, Map<String, Tensor> tensors, Function<String, String> where) {
        Set<String> expected = new HashSet<>();
        for (CheckpointLayout.TensorSpec spec : CheckpointLayout.tensors(config)) {
            expected.add(spec.name());
            Tensor t = tensors.get(spec.name());
            if (t == null) {
                throw new ModelLoadException("missing tensor " + spec.name() + " (expected shape " + Arrays.toString(spec.shape())
                        + " for " + config.architecture() + ")" + filesHint(tensors, where));
            }
            if (!Arrays.equals(t.shape(), spec.shape())) {
                throw new ModelLoadException(where.apply(spec.name()) + ": tensor " + spec.name() + " has shape "
                        + Arrays.toString(t.shape()) + ", but config.json implies " + Arrays.toString(spec.shape()));
            }
        }
        rejectUnexpected(config, tensors, expected, where);

        List<DecoderLayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            int layer = i;
            Function<String, Tensor> get = suffix -> tensors.get(CheckpointLayout.layerTensor(layer, suffix));
            Function<String, Optional<Tensor>> opt = suffix -> Optional.ofNullable(expected.contains(CheckpointLayout.layerTensor(layer, suffix))
                    ? get.apply(suffix) : null);
            layers.add(new DecoderLayerWeights(
                    get.apply(CheckpointLayout.INPUT_LAYERNORM),
                    get.apply(CheckpointLayout.Q_PROJ),
                    get.apply(CheckpointLayout.K_PROJ),
                    get.apply(CheckpointLayout.V_PROJ),
                    opt.apply(CheckpointLayout.Q_BIAS),
                    opt.apply(CheckpointLayout.K_BIAS),
                    opt.apply(CheckpointLayout.V_BIAS),
                    opt.apply(CheckpointLayout.Q_NORM),
                    opt.apply(CheckpointLayout.K_NORM),
                    get.apply(CheckpointLayout.O_PROJ),
                    get.apply(CheckpointLayout.POST_ATTENTION_LAYERNORM),
                    get.apply(CheckpointLayout.GATE_PROJ),
                    get.apply(CheckpointLayout.UP_PROJ),
                    get.apply(CheckpointLayout.DOWN_PROJ)));
        }
        Tensor embed = tensors.get(CheckpointLayout.EMBED_TOKENS);
        // Tied: lm_head is the embedding matrix itself, whatever the file holds under lm_head.weight (HF and vLLM agree).
        Tensor lmHead = config.tieWordEmbeddings() ? embed : tensors.get(CheckpointLayout.LM_HEAD);
        return new ModelWeights(embed, layers, tensors.get(CheckpointLayout.NORM), lmHead);
    }

    private static void rejectUnexpected(ModelConfig config, Map<String, Tensor> tensors, Set<String> expected,
                                         Function<String, String> where) {
        List<String> unexpected = tensors.keySet().stream()
                .filter(n -> !expected.contains(n) && !CheckpointLayout.isIgnored(n, config))
                .sorted()
                .toList();
        if (unexpected.isEmpty()) return;
        String first = unexpected.getFirst();
        throw new ModelLoadException(where.apply(first) + ": tensor " + first + " is not part of " + config.architecture()
                + " as config.json describes it (" + config.numHiddenLayers() + " layers, attention bias "
                + config.attentionBias() + ", q/k norm " + config.qkNorm() + ")"
                + (unexpected.size() > 1 ? "; " + (unexpected.size() - 1) + " more unexpected: "
                        + String.join(", ", unexpected.subList(1, Math.min(unexpected.size(), 6))) + (unexpected.size() > 6 ? ", ..." : "") : ""));
    }

    private static String filesHint(Map<String, Tensor> tensors, Function<String, String> where) {
        Set<String> files = new TreeSet<>();
        for (String n : tensors.keySet()) files.add(where.apply(n));
        return files.isEmpty() ? " (the checkpoint holds no tensors)" : " in " + String.join(", ", files);
    }
}
