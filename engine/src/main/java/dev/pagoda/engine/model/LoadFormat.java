package dev.pagoda.engine.model;

/** Where the weights come from (vLLM's {@code --load-format}). */
public enum LoadFormat {
    /** Memory-map the directory's safetensors files (the default). */
    SAFETENSORS,
    /**
     * Random weights of the config's real shapes, without reading any weight file: for benchmarks
     * and for models whose weights are not at hand. Only config.json is read.
     */
    DUMMY;

    /** The format for a CLI value ({@code safetensors}, {@code dummy}, or {@code auto} = safetensors). */
    public static LoadFormat fromCli(String value) {
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "auto", "safetensors" -> SAFETENSORS;
            case "dummy" -> DUMMY;
            default -> throw new IllegalArgumentException("unknown load format '" + value + "' (expected auto, safetensors or dummy)");
        };
    }
}
