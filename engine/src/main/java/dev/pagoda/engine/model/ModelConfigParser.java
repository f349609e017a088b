package dev.pagoda.engine.model;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.json.JsonException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a Hugging Face {@code config.json} of the Llama family into a {@link ModelConfig}.
 *
 * <p>Supported: {@code LlamaForCausalLM} (Llama 2, 3, 3.1, 3.2, with {@code llama3} RoPE scaling),
 * {@code MistralForCausalLM} (without a sliding window), {@code Qwen2ForCausalLM} (Qwen2/2.5: q/k/v
 * projections carry a bias) and {@code Qwen3ForCausalLM} (per-head RMSNorm on q and k). Defaults are
 * those of the transformers config classes. Anything this engine would compute differently from
 * transformers (another activation, a sliding window that applies, MLP biases, an unknown RoPE
 * scaling, quantized weights) is rejected with an error that names the file, the field and the value,
 * rather than silently producing wrong logits.
 */
public final class ModelConfigParser {
    private ModelConfigParser() {}

    /** The architectures this engine runs, with their {@code model_type}. Order is for messages. */
    private static final Map<String, String> MODEL_TYPES = Map.of(
            "LlamaForCausalLM", "llama",
            "MistralForCausalLM", "mistral",
            "Qwen2ForCausalLM", "qwen2",
            "Qwen3ForCausalLM", "qwen3");

    private static final List<String> SUPPORTED = List.of(
            "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM");

    /**
     * Upper bounds on the sizes a config.json may declare. They are far above any released model
     * (Llama 3.1 405B: hidden 16384, intermediate 53248, 126 layers, 128 heads; the largest
     * vocabularies are about 2^18; the longest contexts about 10M) and exist so that a corrupt or
     * hostile file (hidden_size 2^31 − 1) is refused by name before anything is sized from it,
     * instead of overflowing an int product or exhausting memory.
     */
    public static final int MAX_HIDDEN_SIZE = 1 << 16;
    public static final int MAX_INTERMEDIATE_SIZE = 1 << 18;
    public static final int MAX_LAYERS = 1 << 10;
    public static final int MAX_HEADS = 1 << 10;
    public static final int MAX_HEAD_DIM = 1 << 10;
    public static final int MAX_VOCAB_SIZE = 1 << 22;
    public static final int MAX_POSITION_EMBEDDINGS = 1 << 24;

    /** Reads and checks {@code configJson}. */
    public static ModelConfig parse(Path configJson) {
        String text;
        try {
            text = Files.readString(configJson);
        } catch (NoSuchFileException e) {
            throw new ModelLoadException(configJson + ": no such file (a Hugging Face model directory needs a config.json)");
        } catch (IOException e) {
            throw new ModelLoadException(configJson + ": cannot read: " + e.getMessage(), e);
        }
        return parse(text, configJson);
    }

    /** Parses config.json text; {@code source} names it in messages (e.g. a resource or a path). */
    public static ModelConfig parse(String configJsonText, Path source) {
        Map<String, Object> json;
        try {
            json = Json.parseObject(configJsonText);
        } catch (JsonException e) {
            throw new ModelLoadException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        return parse(new JsonFields(source, "", json));
    }

    static ModelConfig parse(JsonFields c) {
        String architecture = architecture(c);
        String modelType = c.optString("model_type").orElse(MODEL_TYPES.get(architecture));
        rejectUnsupportedFeatures(c, architecture);

        int hiddenSize = c.requiredInt("hidden_size", 1, MAX_HIDDEN_SIZE);
        int intermediateSize = c.requiredInt("intermediate_size", 1, MAX_INTERMEDIATE_SIZE);
        int numHiddenLayers = c.requiredInt("num_hidden_layers", 1, MAX_LAYERS);
        int numAttentionHeads = c.requiredInt("num_attention_heads", 1, MAX_HEADS);
        int numKeyValueHeads = c.optInt("num_key_value_heads").orElse(numAttentionHeads);
        if (numKeyValueHeads < 1 || numAttentionHeads % numKeyValueHeads != 0) {
            throw c.error("num_key_value_heads", "must divide num_attention_heads (" + numAttentionHeads
                    + ") evenly, got " + numKeyValueHeads);
        }
        int headDim = headDim(c, hiddenSize, numAttentionHeads);
        int vocabSize = c.requiredInt("vocab_size", 1, MAX_VOCAB_SIZE);
        int maxPositionEmbeddings = c.requiredInt("max_position_embeddings", 1, MAX_POSITION_EMBEDDINGS);
        double rmsNormEps = c.positiveDouble("rms_norm_eps", 1e-6);
        rejectSlidingWindow(c, architecture, maxPositionEmbeddings);

        // transformers 5 nests RoPE settings in "rope_parameters"; older files use rope_theta/rope_scaling.
        Optional<JsonFields> ropeParameters = c.optObject("rope_parameters");
        double ropeTheta = c.has("rope_theta")
                ? c.positiveDouble("rope_theta", 10000)
                : ropeParameters.map(p -> p.positiveDouble("rope_theta", 10000)).orElse(10000.0);
        Optional<JsonFields> scaling = c.optObject("rope_scaling").or(() -> ropeParameters);
        RopeScaling ropeScaling = scaling.map(ModelConfigParser::ropeScaling).orElse(new RopeScaling.None());

        boolean attentionBias = architecture.equals("Qwen2ForCausalLM"); // Qwen2's q/k/v always have a bias
        boolean qkNorm = architecture.equals("Qwen3ForCausalLM");
        DType dtype = dtype(c);
        int bosTokenId = c.optInt("bos_token_id").orElse(-1);
        List<Integer> eosTokenIds = c.intOrIntList("eos_token_id");
        return new ModelConfig(architecture, modelType, hiddenSize, intermediateSize, numHiddenLayers,
                numAttentionHeads, numKeyValueHeads, headDim, vocabSize, maxPositionEmbeddings, rmsNormEps,
                ropeTheta, ropeScaling, c.bool("tie_word_embeddings", false), attentionBias, qkNorm, dtype,
                bosTokenId, eosTokenIds);
    }

    /** The first supported entry of {@code architectures} (vLLM also tries them in order). */
    private static String architecture(JsonFields c) {
        if (!(c.raw("architectures") instanceof List<?> list) || list.isEmpty()) {
            if (!c.has("architectures")) throw c.missing("architectures");
            throw c.error("architectures", "must be a non-empty list of class names, got " + JsonFields.show(c.raw("architectures")));
        }
        for (Object a : list) {
            if (a instanceof String s && MODEL_TYPES.containsKey(s)) return s;
        }
        throw c.error("architectures", list + " names no supported architecture (supported: " + String.join(", ", SUPPORTED) + ")");
    }

    private static void rejectUnsupportedFeatures(JsonFields c, String architecture) {
        String act = c.optString("hidden_act").orElse("silu");
        if (!act.equals("silu")) throw c.error("hidden_act", "is \"" + act + "\"; only \"silu\" (SwiGLU MLP) is supported");
        if (c.bool("mlp_bias", false)) throw c.error("mlp_bias", "is true; MLP projections with a bias are not supported");
        // Llama and Qwen3 put the bias on o_proj too when attention_bias is set; no released model does.
        if (!architecture.equals("Qwen2ForCausalLM") && !architecture.equals("MistralForCausalLM")
                && c.bool("attention_bias", false)) {
            throw c.error("attention_bias", "is true; " + architecture + " with biased q/k/v/o projections is not supported");
        }
        if (c.has("quantization_config")) {
            throw c.error("quantization_config", "is present; quantized checkpoints are not supported (use an F32/BF16/F16 model)");
        }
        if (c.has("partial_rotary_factor") && c.optDouble("partial_rotary_factor").getAsDouble() != 1.0) {
            throw c.error("partial_rotary_factor", "is " + c.raw("partial_rotary_factor") + "; only full rotary embeddings are supported");
        }
    }

    private static int headDim(JsonFields c, int hiddenSize, int numAttentionHeads) {
        int headDim;
        if (c.has("head_dim")) {
            headDim = c.requiredInt("head_dim", 1, MAX_HEAD_DIM);
        } else if (hiddenSize % numAttentionHeads != 0) {
            throw c.error("hidden_size", hiddenSize + " is not divisible by num_attention_heads " + numAttentionHeads
                    + " and head_dim is not given");
        } else {
            headDim = hiddenSize / numAttentionHeads;
        }
        if (headDim > MAX_HEAD_DIM) throw c.error("hidden_size", "gives head_dim " + headDim + ", above the supported " + MAX_HEAD_DIM);
        // RoPE rotates pairs (i, i + headDim/2), so the head width must be even.
        if (headDim % 2 != 0) throw c.error(c.has("head_dim") ? "head_dim" : "hidden_size", "gives an odd head_dim " + headDim + "; RoPE needs an even one");
        return headDim;
    }

    /**
     * A sliding window changes attention; refuse it where it would apply. Qwen2/3 configs carry a
     * {@code sliding_window} that is off unless {@code use_sliding_window}; Mistral v0.1 uses 4096.
     */
    private static void rejectSlidingWindow(JsonFields c, String architecture, int maxPositionEmbeddings) {
        if (c.raw("layer_types") instanceof List<?> types && types.contains("sliding_attention")) {
            throw c.error("layer_types", "contains \"sliding_attention\"; sliding-window attention is not supported");
        }
        boolean enabled = switch (architecture) {
            case "Qwen2ForCausalLM", "Qwen3ForCausalLM" -> c.bool("use_sliding_window", false);
            case "MistralForCausalLM" -> true;
            default -> false;
        };
        if (!enabled || !c.has("sliding_window")) return;
        int window = c.requiredInt("sliding_window", 1);
        if (window < maxPositionEmbeddings) {
            throw c.error("sliding_window", "is " + window + " (< max_position_embeddings " + maxPositionEmbeddings
                    + "); sliding-window attention is not supported");
        }
    }

    private static RopeScaling ropeScaling(JsonFields s) {
        Optional<String> type = s.optString("rope_type").or(() -> s.optString("type"));
        String key = s.has("rope_type") ? "rope_type" : "type";
        return switch (type.orElse("default")) {
            case "default" -> new RopeScaling.None();
            case "llama3" -> {
                for (String k : List.of("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings")) {
                    if (!s.has(k)) throw s.missing(k);
                }
                double factor = s.positiveDouble("factor", 1);
                double low = s.positiveDouble("low_freq_factor", 1);
                double high = s.positiveDouble("high_freq_factor", 4);
                if (!(low < high)) throw s.error("low_freq_factor", low + " must be below high_freq_factor " + high);
                yield new RopeScaling.Llama3(factor, low, high, s.requiredInt("original_max_position_embeddings", 1));
            }
            case String other -> throw s.error(key, "is \"" + other + "\"; supported RoPE types are \"default\" and \"llama3\"");
        };
    }

    private static DType dtype(JsonFields c) {
        String key = c.has("torch_dtype") ? "torch_dtype" : "dtype";
        Optional<String> name = c.optString(key);
        if (name.isEmpty()) return DType.F32;
        try {
            return DType.fromTorchName(name.get().replace("torch.", ""));
        } catch (IllegalArgumentException e) {
            throw c.error(key, "is \"" + name.get() + "\"; supported: float32, bfloat16, float16");
        }
    }

    // ------------------------------------------------------------------ writing

    /**
     * The {@code config.json} that describes {@code config}, in the form transformers writes (and
     * reads back: the random-weight test models are also loaded by transformers for goldens).
     */
    public static String toJson(ModelConfig config) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of(config.architecture()));
        m.put("model_type", config.modelType());
        m.put("hidden_size", config.hiddenSize());
        m.put("intermediate_size", config.intermediateSize());
        m.put("num_hidden_layers", config.numHiddenLayers());
        m.put("num_attention_heads", config.numAttentionHeads());
        m.put("num_key_value_heads", config.numKeyValueHeads());
        m.put("head_dim", config.headDim());
        m.put("hidden_act", "silu");
        m.put("vocab_size", config.vocabSize());
        m.put("max_position_embeddings", config.maxPositionEmbeddings());
        m.put("rms_norm_eps", config.rmsNormEps());
        m.put("rope_theta", config.ropeTheta());
        m.put("rope_scaling", switch (config.ropeScaling()) {
            case RopeScaling.None none -> null;
            case RopeScaling.Llama3 l -> {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("rope_type", "llama3");
                r.put("factor", l.factor());
                r.put("low_freq_factor", l.lowFreqFactor());
                r.put("high_freq_factor", l.highFreqFactor());
                r.put("original_max_position_embeddings", l.originalMaxPositionEmbeddings());
                yield r;
            }
        });
        if (!config.architecture().equals("MistralForCausalLM") && !config.architecture().equals("Qwen2ForCausalLM")) {
            m.put("attention_bias", config.attentionBias());
            m.put("mlp_bias", false);
        }
        if (config.architecture().equals("MistralForCausalLM")) m.put("sliding_window", null);
        if (config.architecture().startsWith("Qwen")) m.put("use_sliding_window", false);
        m.put("tie_word_embeddings", config.tieWordEmbeddings());
        m.put("torch_dtype", switch (config.dtype()) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
        });
        m.put("bos_token_id", config.bosTokenId() < 0 ? null : config.bosTokenId());
        List<Integer> eos = config.eosTokenIds();
        m.put("eos_token_id", eos.isEmpty() ? null : eos.size() == 1 ? eos.getFirst() : new ArrayList<>(eos));
        return Json.write(m);
    }

    /** Names of the supported architectures, for help texts. */
    public static List<String> supportedArchitectures() {
        return SUPPORTED;
    }
}
