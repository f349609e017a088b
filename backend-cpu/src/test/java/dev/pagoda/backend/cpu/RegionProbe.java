package dev.pagoda.backend.cpu;

import dev.pagoda.engine.model.Tensor;
import java.lang.foreign.Arena;

/**
 * A probe, not a test: the bf16 matvec's streaming rate from DRAM for each linear-layer shape of
 * Qwen2.5-0.5B, as a decode step meets them: 24 different matrices of a shape one after the other
 * (together far beyond the L3), each one parallel region on all threads; lm_head alone. Shows how
 * much of the read bandwidth ({@link HugePageProbe}) a region of that size reaches, i.e. what
 * decode's phases could reach with no other overhead (docs/benchmarks-cpu-decode.md).
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp &lt;bench class path&gt; dev.pagoda.backend.cpu.RegionProbe [rounds]
 * </pre>
 */
public final class RegionProbe {
    /** [outFeatures, inFeatures]: gate_up, down, qkv, o_proj, lm_head. */
    private static final int[][] SHAPES = {{9728, 896}, {896, 4864}, {1152, 896}, {896, 896}, {151936, 896}};

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int threads = Runtime.getRuntime().availableProcessors();
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(threads)) {
            Linear[][][] layers = new Linear[SHAPES.length][][];
            for (int s = 0; s < SHAPES.length; s++) {
                int copies = SHAPES[s][0] == 151936 ? 1 : 24;
                layers[s] = new Linear[copies][];
                for (int c = 0; c < copies; c++) {
                    Tensor w = DummyWeights.random("w", arena, new long[] {42 + c}, SHAPES[s][0], SHAPES[s][1]);
                    layers[s][c] = new Linear[] {Linear.of(w, null, SHAPES[s][0], SHAPES[s][1])};
                }
            }
            float[] x = new float[4864];
            for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
            float[][] scratch = new float[threads][];
            for (int round = 0; round <= rounds; round++) { // round 0 warms up
                StringBuilder line = new StringBuilder("round " + round + ":");
                for (int s = 0; s < SHAPES.length; s++) {
                    float[][] outs = {new float[SHAPES[s][0]]};
                    long bytes = 0, t0 = System.nanoTime();
                    for (int rep = 0; rep < 3; rep++) {
                        for (Linear[] l : layers[s]) {
                            MatMul.forward(pool, x, 1, l, outs, scratch);
                            bytes += l[0].weightBytes();
                        }
                    }
                    long ns = System.nanoTime() - t0;
                    line.append(String.format(" | [%d, %d] %.1f GB/s, %.0f µs a region", SHAPES[s][0], SHAPES[s][1], bytes / (double) ns,
                            ns / 1e3 / (3 * layers[s].length)));
                }
                if (round > 0) System.out.println(line);
            }
        }
    }
}
