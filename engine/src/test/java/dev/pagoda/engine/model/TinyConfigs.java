package dev.pagoda.engine.model;

import java.util.List;

/** Tiny configs of every supported architecture, for round trips and random-weight models in tests. */
public final class TinyConfigs {
    private TinyConfigs() {}

    /** Llama 3.1-style: untied, GQA 2, llama3 RoPE scaling. */
    public static ModelConfig llama(DType dtype) {
        return new ModelConfig("LlamaForCausalLM", "llama", 32, 48, 2, 4, 2, 8, 96, 256, 1e-5, 500000.0,
                new RopeScaling.Llama3(8.0, 1.0, 4.0, 64), false, false, false, dtype, 1, List.of(2, 3));
    }

    /** Mistral: untied, GQA 4, no sliding window. */
    public static ModelConfig mistral(DType dtype) {
        return new ModelConfig("MistralForCausalLM", "mistral", 32, 64, 2, 4, 1, 8, 80, 512, 1e-5, 1000000.0,
                new RopeScaling.None(), false, false, false, dtype, 1, List.of(2));
    }

    /** Qwen2.5-style: tied, q/k/v bias, GQA 2. */
    public static ModelConfig qwen2(DType dtype) {
        return new ModelConfig("Qwen2ForCausalLM", "qwen2", 32, 40, 2, 4, 2, 8, 100, 512, 1e-6, 1000000.0,
                new RopeScaling.None(), true, true, false, dtype, 99, List.of(98));
    }

    /** Qwen3-style: tied, q/k norm, head_dim (16) wider than hidden/heads (8), no GQA. */
    public static ModelConfig qwen3(DType dtype) {
        return new ModelConfig("Qwen3ForCausalLM", "qwen3", 32, 40, 2, 4, 4, 16, 100, 512, 1e-6, 1000000.0,
                new RopeScaling.None(), true, false, true, dtype, 99, List.of(98, 97));
    }

    /**
     * A real model's config.json kept in this module's test resources ({@code configs/NAME}, e.g.
     * {@code qwen2.5-0.5b-instruct.json}); readable from other modules through the test jar.
     */
    public static ModelConfig real(String name) {
        try (var in = TinyConfigs.class.getResourceAsStream("configs/" + name)) {
            if (in == null) throw new IllegalArgumentException("no test config configs/" + name);
            return ModelConfigParser.parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8),
                    java.nio.file.Path.of("configs", name));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static List<ModelConfig> all(DType dtype) {
        return List.of(llama(dtype), mistral(dtype), qwen2(dtype), qwen3(dtype));
    }
}
