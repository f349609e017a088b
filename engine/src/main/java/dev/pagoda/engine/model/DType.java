package dev.pagoda.engine.model;

/** Element types a weight tensor may be stored in. Arithmetic is always fp32 on the CPU. */
public enum DType {
    F32("F32", 4),
    BF16("BF16", 2),
    F16("F16", 2);

    /** The dtype's name in a safetensors header. */
    public final String safetensorsName;
    /** Bytes per element. */
    public final int byteSize;

    DType(String safetensorsName, int byteSize) {
        this.safetensorsName = safetensorsName;
        this.byteSize = byteSize;
    }

    /** The dtype for a safetensors header name, or an error naming the unsupported one. */
    public static DType fromSafetensors(String name) {
        for (DType d : values()) if (d.safetensorsName.equals(name)) return d;
        throw new IllegalArgumentException("unsupported dtype '" + name + "' (supported: F32, BF16, F16)");
    }

    /** The dtype for a config.json {@code torch_dtype}/{@code dtype} value such as "bfloat16". */
    public static DType fromTorchName(String name) {
        return switch (name) {
            case "float32", "float" -> F32;
            case "bfloat16" -> BF16;
            case "float16", "half" -> F16;
            default -> throw new IllegalArgumentException("unsupported torch dtype '" + name + "'");
        };
    }
}
