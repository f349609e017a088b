package dev.pagoda.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Total memory of common GPUs as the CUDA driver reports it ({@code cuMemGetInfo}'s total, a little
 * under the marketing size), for {@code explain-memory --device cuda} on a machine without one.
 * The H100 figure was measured (docs/benchmarks-cuda.md); the others are the usual driver-reported
 * sizes, to within a few hundred MiB — pass {@code --gpu-memory-total 79.1G} for an exact plan.
 */
final class GpuPresets {
    private static final Map<String, Long> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put("h100-80gb", gib(79.18));
        PRESETS.put("h200-141gb", gib(139.8));
        PRESETS.put("a100-80gb", gib(79.15));
        PRESETS.put("a100-40gb", gib(39.39));
        PRESETS.put("l4-24gb", gib(22.03));
    }

    static final String NAMES = String.join(", ", PRESETS.keySet());

    private GpuPresets() {}

    /** A preset's bytes, or a size such as {@code 80G}, {@code 81920M} or plain bytes. */
    static long bytes(String value) {
        Long preset = PRESETS.get(value.toLowerCase(java.util.Locale.ROOT));
        if (preset != null) return preset;
        String s = value.trim().toUpperCase(java.util.Locale.ROOT).replace("IB", "").replace("B", "");
        long unit = 1;
        if (s.endsWith("M")) unit = 1L << 20;
        else if (s.endsWith("G")) unit = 1L << 30;
        if (unit != 1) s = s.substring(0, s.length() - 1);
        try {
            double v = Double.parseDouble(s.trim());
            if (v > 0) return (long) (v * unit);
        } catch (NumberFormatException ignored) {
            // fall through to the message
        }
        throw new CliException("--gpu-memory-total must be a size such as 80G or one of " + NAMES + ", got '" + value + "'");
    }

    private static long gib(double g) {
        return (long) (g * (1L << 30));
    }
}
