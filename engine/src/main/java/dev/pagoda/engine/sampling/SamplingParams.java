package dev.pagoda.engine.sampling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * How to pick the tokens of one request: vLLM's {@code SamplingParams} in Java casing. Build one
 * with {@link #builder()} (or {@link #fromJson} from a request body), merge the model's
 * {@code generation_config.json} defaults with {@link #withDefaults}, check it against the model
 * with {@link #validate}, and report {@link #effectiveValues()} back to the client.
 *
 * <p>Construction already enforces vLLM's model-independent rules ({@code _verify_args}, with its
 * messages) and normalizations: a temperature in (0, 0.01) becomes 0.01 (smaller ones overflow);
 * temperature below 1e-5 means greedy, which resets top_p/top_k/min_p to "off" and requires n = 1;
 * top_k -1 becomes 0 (both mean "off"); logit_bias values are clamped to [-100, 100] (OpenAI);
 * stop_token_ids lose repeats.
 *
 * @param n                          completions to return for the prompt (≥ 1)
 * @param temperature                0 = greedy; otherwise logits are divided by it (in [0, 2])
 * @param topP                       nucleus mass in (0, 1]; 1 = off
 * @param topK                       keep the k most likely tokens; 0 = off
 * @param minP                       drop tokens whose probability is below minP × the top one's; 0 = off
 * @param presencePenalty            subtracted once from every token already in the output, [-2, 2]
 * @param frequencyPenalty           subtracted per occurrence in the output, [-2, 2]
 * @param repetitionPenalty          > 0; HF/CTRL-style for tokens in prompt or output: positive logits
 *                                   are divided by it, negative ones multiplied; 1 = off
 * @param logitBias                  token id → value added to its logit, clamped to [-100, 100]
 * @param seed                       per-request seed: same seed, same tokens, whatever the batch
 * @param stop                       strings that end the output (not included unless asked)
 * @param stopTokenIds               token ids that end the output (in addition to EOS)
 * @param includeStopStrInOutput     keep the matched stop string (or stop token's text) in the text
 * @param ignoreEos                  keep generating past EOS
 * @param minTokens                  EOS and stop tokens are masked until this many tokens exist
 * @param maxTokens                  output length cap; empty = up to the model's context
 * @param logprobs                   top-N logprobs per output position (plus the sampled token's); -1 = whole vocab
 * @param promptLogprobs             top-N logprobs per prompt position (plus the actual token's); -1 = whole vocab
 * @param logprobsMode               raw or processed scores for {@code logprobs}
 * @param skipSpecialTokens          detokenizer: drop special tokens from the text
 * @param spacesBetweenSpecialTokens detokenizer: put spaces between special tokens
 * @param requestFields              vLLM names of the fields the request set explicitly
 * @param defaultedFields            vLLM names of the fields whose value came from generation_config.json
 */
public record SamplingParams(
        int n,
        double temperature,
        double topP,
        int topK,
        double minP,
        double presencePenalty,
        double frequencyPenalty,
        double repetitionPenalty,
        Map<Integer, Float> logitBias,
        OptionalLong seed,
        List<String> stop,
        List<Integer> stopTokenIds,
        boolean includeStopStrInOutput,
        boolean ignoreEos,
        int minTokens,
        OptionalInt maxTokens,
        OptionalInt logprobs,
        OptionalInt promptLogprobs,
        LogprobsMode logprobsMode,
        boolean skipSpecialTokens,
        boolean spacesBetweenSpecialTokens,
        Set<String> requestFields,
        Set<String> defaultedFields) {

    /** vLLM's {@code _SAMPLING_EPS}: temperatures below it mean greedy. */
    public static final double SAMPLING_EPS = 1e-5;
    /** vLLM's {@code _MAX_TEMP}: positive temperatures below it are raised to it. */
    public static final double MIN_RANDOM_TEMPERATURE = 1e-2;
    /** vLLM's default {@code --max-logprobs}. */
    public static final int DEFAULT_MAX_LOGPROBS = 20;
    /** OpenAI's logit_bias range; values outside are clamped. */
    public static final float MAX_LOGIT_BIAS = 100f;

    /** Every field name {@link #fromJson} and {@link #effectiveValues} know, in vLLM spelling. */
    public static final List<String> FIELD_NAMES = List.of(
            "n", "temperature", "top_p", "top_k", "min_p", "presence_penalty", "frequency_penalty",
            "repetition_penalty", "logit_bias", "seed", "stop", "stop_token_ids", "include_stop_str_in_output",
            "ignore_eos", "min_tokens", "max_tokens", "logprobs", "prompt_logprobs", "logprobs_mode",
            "skip_special_tokens", "spaces_between_special_tokens");

    public SamplingParams {
        Objects.requireNonNull(seed, "seed");
        Objects.requireNonNull(maxTokens, "maxTokens");
        Objects.requireNonNull(logprobs, "logprobs");
        Objects.requireNonNull(promptLogprobs, "promptLogprobs");
        Objects.requireNonNull(logprobsMode, "logprobsMode");
        logitBias = SamplingParamsChecks.clampLogitBias(logitBias);
        stop = List.copyOf(stop);
        stopTokenIds = List.copyOf(new LinkedHashSet<>(stopTokenIds));
        requestFields = Collections.unmodifiableSet(new LinkedHashSet<>(requestFields));
        defaultedFields = Collections.unmodifiableSet(new LinkedHashSet<>(defaultedFields));
        if (temperature > 0 && temperature < MIN_RANDOM_TEMPERATURE) temperature = MIN_RANDOM_TEMPERATURE;
        SamplingParamsChecks.verify(n, temperature, topP, topK, minP, presencePenalty, frequencyPenalty, repetitionPenalty,
                stop, stopTokenIds, minTokens, maxTokens, logprobs, promptLogprobs);
        if (topK == -1) topK = 0;
        if (temperature < SAMPLING_EPS) {
            // Greedy: the filters cannot change an argmax, so vLLM turns them off.
            topP = 1.0;
            topK = 0;
            minP = 0.0;
            if (n > 1) throw new SamplingParamsException("n", "n must be 1 when using greedy sampling, got " + n + ".");
        }
    }

    /** All defaults (vLLM's), nothing set by a request. */
    public static SamplingParams defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Parses a request body's sampling fields (vLLM names: {@code "top_p"}, {@code "stop"} as a string
     * or a list, {@code "logit_bias"} with string keys, {@code "logprobs": true} = 1 (false: none), {@code null} =
     * unset). Keys not in {@link #FIELD_NAMES} are ignored: the caller owns the rest of the body.
     */
    public static SamplingParams fromJson(Map<String, Object> body) {
        return SamplingParamsJson.parse(body);
    }

    /** True when this request samples greedily (argmax). */
    public boolean greedy() {
        return temperature < SAMPLING_EPS;
    }

    /** True when the request touches the logits before temperature (bias, min_tokens or a penalty). */
    /** Whether sampling reads the sequence's tokens (the repetition, frequency and presence penalties). */
    public boolean readsTokenHistory() {
        return repetitionPenalty != 1.0 || frequencyPenalty != 0 || presencePenalty != 0;
    }

    public boolean needsLogitsProcessing() {
        return !logitBias.isEmpty() || minTokens > 0 || presencePenalty != 0 || frequencyPenalty != 0 || repetitionPenalty != 1.0;
    }

    /**
     * Fills the fields the request did not set from the model's defaults
     * ({@code GenerationConfig#samplingDefaults()}: vLLM names → numbers), as vLLM does with
     * {@code generation_config.json}. Request values win; the result's {@link #defaultedFields()} says
     * which values came from here.
     *
     * @throws SamplingParamsException for a key that is not a numeric sampling field, or a value out of range
     */
    public SamplingParams withDefaults(Map<String, ? extends Number> defaults) {
        Builder b = toBuilder();
        Set<String> defaulted = new LinkedHashSet<>(defaultedFields);
        for (Map.Entry<String, ? extends Number> e : defaults.entrySet()) {
            String key = e.getKey();
            if (requestFields.contains(key)) continue;
            Number v = e.getValue();
            switch (key) {
                case "temperature" -> b.temperature = v.doubleValue();
                case "top_p" -> b.topP = v.doubleValue();
                case "top_k" -> b.topK = v.intValue();
                case "min_p" -> b.minP = v.doubleValue();
                case "repetition_penalty" -> b.repetitionPenalty = v.doubleValue();
                case "presence_penalty" -> b.presencePenalty = v.doubleValue();
                case "frequency_penalty" -> b.frequencyPenalty = v.doubleValue();
                case "max_tokens" -> b.maxTokens = v.intValue();
                default -> throw new SamplingParamsException(key, "default for '" + key + "' is not a numeric sampling parameter");
            }
            defaulted.add(key);
        }
        return b.build(requestFields, defaulted);
    }

    /**
     * Checks what depends on the model: logit_bias and stop_token_ids ids within the vocabulary,
     * and the logprobs counts against the server's limit (vLLM's {@code --max-logprobs}, default
     * {@value #DEFAULT_MAX_LOGPROBS}; -1 = unlimited).
     */
    public SamplingParams validate(int vocabSize, int maxLogprobs) {
        SamplingParamsChecks.validateForModel(this, vocabSize, maxLogprobs);
        return this;
    }

    /**
     * Output length cap for a prompt of {@code promptLength} tokens: {@code maxTokens}, but never past
     * the context ({@code maxModelLen - promptLength}); the whole rest of the context when unset.
     */
    public int effectiveMaxTokens(int promptLength, int maxModelLen) {
        int room = maxModelLen - promptLength;
        return maxTokens.isPresent() ? Math.min(maxTokens.getAsInt(), room) : room;
    }

    /**
     * Parameters of completion {@code index} (0-based) of an {@code n > 1} request, as vLLM's
     * parallel sampling: n = 1, and a seeded request's seed becomes {@code seed + index} so that
     * the completions differ but each stays reproducible.
     */
    public SamplingParams forChild(int index) {
        if (index < 0 || index >= n) throw new IllegalArgumentException("child index " + index + " out of [0, " + n + ")");
        Builder b = toBuilder();
        b.n = 1;
        if (seed.isPresent()) b.seed = seed.getAsLong() + index;
        return b.build(requestFields, defaultedFields);
    }

    /**
     * The values this request is sampled with, every field, in vLLM names (unset optionals as
     * {@code null}); what a response reports as "effective sampling parameters".
     */
    public Map<String, Object> effectiveValues() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", n);
        m.put("temperature", temperature);
        m.put("top_p", topP);
        m.put("top_k", topK);
        m.put("min_p", minP);
        m.put("presence_penalty", presencePenalty);
        m.put("frequency_penalty", frequencyPenalty);
        m.put("repetition_penalty", repetitionPenalty);
        Map<String, Object> bias = new LinkedHashMap<>();
        logitBias.forEach((id, v) -> bias.put(Integer.toString(id), (double) v));
        m.put("logit_bias", bias);
        m.put("seed", seed.isPresent() ? seed.getAsLong() : null);
        m.put("stop", stop);
        m.put("stop_token_ids", stopTokenIds);
        m.put("include_stop_str_in_output", includeStopStrInOutput);
        m.put("ignore_eos", ignoreEos);
        m.put("min_tokens", minTokens);
        m.put("max_tokens", maxTokens.isPresent() ? maxTokens.getAsInt() : null);
        m.put("logprobs", logprobs.isPresent() ? logprobs.getAsInt() : null);
        m.put("prompt_logprobs", promptLogprobs.isPresent() ? promptLogprobs.getAsInt() : null);
        m.put("logprobs_mode", logprobsMode.vllmName());
        m.put("skip_special_tokens", skipSpecialTokens);
        m.put("spaces_between_special_tokens", spacesBetweenSpecialTokens);
        return m;
    }

    /** A builder holding this record's values, with nothing marked as set by a request. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.n = n;
        b.temperature = temperature;
        b.topP = topP;
        b.topK = topK;
        b.minP = minP;
        b.presencePenalty = presencePenalty;
        b.frequencyPenalty = frequencyPenalty;
        b.repetitionPenalty = repetitionPenalty;
        b.logitBias = new LinkedHashMap<>(logitBias);
        b.seed = seed.isPresent() ? seed.getAsLong() : null;
        b.stop = new ArrayList<>(stop);
        b.stopTokenIds = new ArrayList<>(stopTokenIds);
        b.includeStopStrInOutput = includeStopStrInOutput;
        b.ignoreEos = ignoreEos;
        b.minTokens = minTokens;
        b.maxTokens = maxTokens.isPresent() ? maxTokens.getAsInt() : null;
        b.logprobs = logprobs.isPresent() ? logprobs.getAsInt() : null;
        b.promptLogprobs = promptLogprobs.isPresent() ? promptLogprobs.getAsInt() : null;
        b.logprobsMode = logprobsMode;
        b.skipSpecialTokens = skipSpecialTokens;
        b.spacesBetweenSpecialTokens = spacesBetweenSpecialTokens;
        return b;
    }

    /**
     * Sets fields one by one; {@link #build()} fills the rest with vLLM's defaults and remembers which
     * fields were set (for {@link #withDefaults}). Setters take vLLM's meaning: {@code seed(-1)} and
     * {@code topK(-1)} mean unset/off.
     */
    public static final class Builder {
        private final Set<String> set = new LinkedHashSet<>();
        int n = 1;
        double temperature = 1.0;
        double topP = 1.0;
        int topK = 0;
        double minP = 0.0;
        double presencePenalty = 0.0;
        double frequencyPenalty = 0.0;
        double repetitionPenalty = 1.0;
        Map<Integer, Float> logitBias = new LinkedHashMap<>();
        Long seed;
        List<String> stop = new ArrayList<>();
        List<Integer> stopTokenIds = new ArrayList<>();
        boolean includeStopStrInOutput;
        boolean ignoreEos;
        int minTokens;
        Integer maxTokens;
        Integer logprobs;
        Integer promptLogprobs;
        LogprobsMode logprobsMode = LogprobsMode.RAW_LOGPROBS;
        boolean skipSpecialTokens = true;
        boolean spacesBetweenSpecialTokens = true;

        private Builder() {}

        private Builder mark(String field) {
            set.add(field);
            return this;
        }

        public Builder n(int v) { n = v; return mark("n"); }
        public Builder temperature(double v) { temperature = v; return mark("temperature"); }
        public Builder topP(double v) { topP = v; return mark("top_p"); }
        public Builder topK(int v) { topK = v; return mark("top_k"); }
        public Builder minP(double v) { minP = v; return mark("min_p"); }
        public Builder presencePenalty(double v) { presencePenalty = v; return mark("presence_penalty"); }
        public Builder frequencyPenalty(double v) { frequencyPenalty = v; return mark("frequency_penalty"); }
        public Builder repetitionPenalty(double v) { repetitionPenalty = v; return mark("repetition_penalty"); }

        /** token id → bias; values are clamped to [-100, 100] at build. */
        public Builder logitBias(Map<Integer, ? extends Number> v) {
            logitBias = new LinkedHashMap<>();
            v.forEach((id, b) -> logitBias.put(Objects.requireNonNull(id, "logit_bias id"), b.floatValue()));
            return mark("logit_bias");
        }

        /** A seed; -1 means none (vLLM). */
        public Builder seed(long v) { seed = v == -1 ? null : v; return mark("seed"); }
        public Builder stop(List<String> v) { stop = new ArrayList<>(v); return mark("stop"); }
        public Builder stop(String... v) { return stop(Arrays.asList(v)); }
        public Builder stopTokenIds(List<Integer> v) { stopTokenIds = new ArrayList<>(v); return mark("stop_token_ids"); }
        public Builder stopTokenIds(int... v) { return stopTokenIds(Arrays.stream(v).boxed().toList()); }
        public Builder includeStopStrInOutput(boolean v) { includeStopStrInOutput = v; return mark("include_stop_str_in_output"); }
        public Builder ignoreEos(boolean v) { ignoreEos = v; return mark("ignore_eos"); }
        public Builder minTokens(int v) { minTokens = v; return mark("min_tokens"); }
        public Builder maxTokens(int v) { maxTokens = v; return mark("max_tokens"); }
        /** Top-N logprobs per output token; -1 = the whole vocabulary. */
        public Builder logprobs(int v) { logprobs = v; return mark("logprobs"); }
        /** Top-N logprobs per prompt token; -1 = the whole vocabulary. */
        public Builder promptLogprobs(int v) { promptLogprobs = v; return mark("prompt_logprobs"); }
        public Builder logprobsMode(LogprobsMode v) { logprobsMode = Objects.requireNonNull(v); return mark("logprobs_mode"); }
        public Builder skipSpecialTokens(boolean v) { skipSpecialTokens = v; return mark("skip_special_tokens"); }
        public Builder spacesBetweenSpecialTokens(boolean v) { spacesBetweenSpecialTokens = v; return mark("spaces_between_special_tokens"); }

        /** @throws SamplingParamsException when a value breaks vLLM's rules */
        public SamplingParams build() {
            return build(set, Set.of());
        }

        SamplingParams build(Set<String> requestFields, Set<String> defaultedFields) {
            return new SamplingParams(n, temperature, topP, topK, minP, presencePenalty, frequencyPenalty, repetitionPenalty,
                    logitBias, seed == null ? OptionalLong.empty() : OptionalLong.of(seed), stop, stopTokenIds,
                    includeStopStrInOutput, ignoreEos, minTokens,
                    maxTokens == null ? OptionalInt.empty() : OptionalInt.of(maxTokens),
                    logprobs == null ? OptionalInt.empty() : OptionalInt.of(logprobs),
                    promptLogprobs == null ? OptionalInt.empty() : OptionalInt.of(promptLogprobs),
                    logprobsMode, skipSpecialTokens, spacesBetweenSpecialTokens, requestFields, defaultedFields);
        }
    }
}
