package dev.pagoda.engine.model;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.json.JsonException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * The model author's generation defaults from {@code generation_config.json}, applied as vLLM
 * applies them ({@code --generation-config auto}, the default):
 *
 * <ul>
 *   <li>Each sampling value the file sets ({@code temperature}, {@code top_p}, {@code top_k},
 *       {@code min_p}, {@code repetition_penalty}, {@code max_new_tokens} → {@code max_tokens})
 *       becomes the default of that request parameter; a request that sets it wins. Values the
 *       file does not set keep the engine's own defaults (temperature 1, top_p 1, …): see
 *       {@link #samplingDefaults()}.
 *   <li>{@code do_sample} is read but, as in vLLM, not applied: a file with {@code do_sample: false}
 *       and {@code temperature: 0.6} still samples at 0.6.
 *   <li>Its {@code eos_token_id}s are extra stop tokens on top of the model's: see
 *       {@link #stopTokenIds(ModelConfig)}. (Llama 3.1 Instruct ends turns with {@code <|eot_id|>},
 *       which only generation_config.json lists.)
 *   <li>Without the file, bos/eos come from config.json (transformers'
 *       {@code GenerationConfig.from_model_config}) and no sampling default is set.
 * </ul>
 *
 * @param bosTokenId        beginning-of-sequence id, -1 when none
 * @param eosTokenIds       end-of-sequence ids listed by the file
 * @param temperature       default temperature, when the file sets one
 * @param topP              default nucleus mass
 * @param topK              default top-k (0 or -1: off)
 * @param minP              default min-p
 * @param repetitionPenalty default repetition penalty (1: off)
 * @param maxNewTokens      default completion length ({@code max_tokens} in vLLM)
 * @param doSample          as written; informational only (see above)
 */
public record GenerationConfig(
        int bosTokenId,
        List<Integer> eosTokenIds,
        OptionalDouble temperature,
        OptionalDouble topP,
        OptionalInt topK,
        OptionalDouble minP,
        OptionalDouble repetitionPenalty,
        OptionalInt maxNewTokens,
        Optional<Boolean> doSample) {

    public static final String FILE_NAME = "generation_config.json";

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** {@code modelDir/generation_config.json}, or the config.json fallback when the file is absent. */
    public static GenerationConfig load(Path modelDir, ModelConfig config) {
        Path file = modelDir.resolve(FILE_NAME);
        return Files.exists(file) ? parse(file) : fromModelConfig(config);
    }

    /** No file: bos/eos from config.json, no sampling defaults. */
    public static GenerationConfig fromModelConfig(ModelConfig config) {
        return new GenerationConfig(config.bosTokenId(), config.eosTokenIds(), OptionalDouble.empty(), OptionalDouble.empty(),
                OptionalInt.empty(), OptionalDouble.empty(), OptionalDouble.empty(), OptionalInt.empty(), Optional.empty());
    }

    /** Reads and checks one {@code generation_config.json}. */
    public static GenerationConfig parse(Path file) {
        Map<String, Object> json;
        try {
            json = Json.parseObject(Files.readString(file));
        } catch (JsonException e) {
            throw new ModelLoadException(file + ": not valid JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot read: " + e, e);
        }
        JsonFields g = new JsonFields(file, "", json);
        OptionalDouble temperature = g.optDouble("temperature");
        if (temperature.isPresent() && !(temperature.getAsDouble() >= 0)) throw g.error("temperature", "must be >= 0, got " + temperature.getAsDouble());
        OptionalDouble topP = g.optDouble("top_p");
        if (topP.isPresent() && !(topP.getAsDouble() > 0 && topP.getAsDouble() <= 1)) throw g.error("top_p", "must be in (0, 1], got " + topP.getAsDouble());
        OptionalInt topK = g.optInt("top_k");
        if (topK.isPresent() && topK.getAsInt() < -1) throw g.error("top_k", "must be >= -1, got " + topK.getAsInt());
        OptionalDouble minP = g.optDouble("min_p");
        if (minP.isPresent() && !(minP.getAsDouble() >= 0 && minP.getAsDouble() <= 1)) throw g.error("min_p", "must be in [0, 1], got " + minP.getAsDouble());
        OptionalDouble penalty = g.optDouble("repetition_penalty");
        if (penalty.isPresent() && !(penalty.getAsDouble() > 0)) throw g.error("repetition_penalty", "must be > 0, got " + penalty.getAsDouble());
        OptionalInt maxNewTokens = g.optInt("max_new_tokens");
        if (maxNewTokens.isPresent() && maxNewTokens.getAsInt() < 1) throw g.error("max_new_tokens", "must be >= 1, got " + maxNewTokens.getAsInt());
        return new GenerationConfig(g.optInt("bos_token_id").orElse(-1), g.intOrIntList("eos_token_id"), temperature, topP, topK,
                minP, penalty, maxNewTokens, g.optBoolean("do_sample"));
    }

    /**
     * The request defaults this file sets, under vLLM's {@code SamplingParams} names
     * ({@code temperature}, {@code top_p}, {@code top_k}, {@code min_p}, {@code repetition_penalty},
     * {@code max_tokens}); what vLLM's {@code get_diff_sampling_param} returns. Only set values appear.
     */
    public Map<String, Number> samplingDefaults() {
        Map<String, Number> m = new LinkedHashMap<>();
        if (repetitionPenalty.isPresent()) m.put("repetition_penalty", repetitionPenalty.getAsDouble());
        if (temperature.isPresent()) m.put("temperature", temperature.getAsDouble());
        if (topK.isPresent()) m.put("top_k", topK.getAsInt());
        if (topP.isPresent()) m.put("top_p", topP.getAsDouble());
        if (minP.isPresent()) m.put("min_p", minP.getAsDouble());
        if (maxNewTokens.isPresent()) m.put("max_tokens", maxNewTokens.getAsInt());
        return m;
    }

    /**
     * Every id that ends generation (unless a request sets {@code ignore_eos}): config.json's eos
     * ids followed by this file's extra ones, without repeats.
     */
    public List<Integer> stopTokenIds(ModelConfig config) {
        LinkedHashSet<Integer> ids = new LinkedHashSet<>(config.eosTokenIds());
        ids.addAll(eosTokenIds);
        return List.copyOf(ids);
    }

    /** This config as a {@code generation_config.json}; only set values are written. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (bosTokenId >= 0) m.put("bos_token_id", bosTokenId);
        if (!eosTokenIds.isEmpty()) m.put("eos_token_id", eosTokenIds.size() == 1 ? eosTokenIds.getFirst() : eosTokenIds);
        doSample.ifPresent(d -> m.put("do_sample", d));
        for (Map.Entry<String, Number> e : samplingDefaults().entrySet()) {
            m.put(e.getKey().equals("max_tokens") ? "max_new_tokens" : e.getKey(), e.getValue());
        }
        return Json.write(m);
    }
}
