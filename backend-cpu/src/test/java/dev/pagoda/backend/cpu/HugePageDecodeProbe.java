package dev.pagoda.backend.cpu;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import java.lang.foreign.Arena;

/**
 * A probe, not a test: single-stream decode of the random-weight Qwen2.5-0.5B-shaped bf16 model
 * with the weights read in place (4 KB pages) and copied onto huge pages ({@link HugePages}), two
 * backends of {@code threads} threads in one JVM, alternated every {@code steps} steps, one line per
 * round (docs/benchmarks-cpu-decode.md).
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp &lt;bench class path&gt; dev.pagoda.backend.cpu.HugePageDecodeProbe [rounds] [steps] [threads]
 * </pre>
 */
public final class HugePageDecodeProbe {
    private static final int BLOCK_SIZE = 16, MAX_POSITIONS = 512;

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        ModelConfig config = DummyWeights.qwen25_05b();
        try (Arena arena = Arena.ofShared();
             CpuBackend inPlace = new CpuBackend(new BackendOptions(threads, false));
             CpuBackend huge = new CpuBackend(new BackendOptions(threads, true))) {
            ModelWeights weights = DummyWeights.bf16(config, arena, 1);
            CpuBackend[] backends = {inPlace, huge};
            int[] blockTable = new int[MAX_POSITIONS / BLOCK_SIZE];
            for (int i = 0; i < blockTable.length; i++) blockTable[i] = (i * 7 + 3) % (blockTable.length + 3);
            for (CpuBackend b : backends) {
                long t0 = System.nanoTime();
                b.loadModel(config, weights);
                System.out.printf("loadModel (%s): %.2f s%n", b == huge ? "huge pages" : "in place", (System.nanoTime() - t0) / 1e9);
                b.allocateKvCache(blockTable.length + 3, BLOCK_SIZE);
            }
            System.out.println("huge pages available: " + HugePages.available());
            int[] pos = new int[2];
            for (int round = 0; round <= rounds; round++) { // round 0 warms up
                StringBuilder line = new StringBuilder("round " + round + ":");
                for (int k = 0; k < 2; k++) {
                    long t0 = System.nanoTime();
                    for (int s = 0; s < steps; s++, pos[k] = (pos[k] + 1) % MAX_POSITIONS) {
                        backends[k].forward(DecodeProfile.decodeStep(config, blockTable, pos[k]));
                    }
                    double ms = (System.nanoTime() - t0) / 1e6 / steps;
                    line.append(String.format(" | %s %.2f tokens/s", k == 0 ? "in place (4 KB pages)" : "huge pages", 1000 / ms));
                }
                if (round > 0) System.out.println(line);
            }
        }
    }
}
