package dev.pagoda.backend.cpu;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.model.ModelConfig;
import java.lang.foreign.Arena;

/**
 * A probe, not a test: where the time of a single-stream decode step goes, phase by phase, on the
 * random-weight Qwen2.5-0.5B-shaped bf16 model of {@link DecodeBenchmark}, and how many parallel
 * regions (waits for every worker) a step has. Prints one table per round.
 *
 * <pre>
 *   backend-cpu/bench.sh is the JMH runner; this one runs with the same class path:
 *   java --add-modules jdk.incubator.vector -cp &lt;bench class path&gt; dev.pagoda.backend.cpu.DecodeProfile [threads] [steps] [rounds]
 * </pre>
 */
public final class DecodeProfile {
    private static final int BLOCK_SIZE = 16, MAX_POSITIONS = 512;

    /** One sequence's decode step at {@code pos} (a token id drawn from the position), its cache slot from {@code blockTable}. */
    static ForwardBatch decodeStep(ModelConfig config, int[] blockTable, int pos) {
        int slot = blockTable[pos / BLOCK_SIZE] * BLOCK_SIZE + pos % BLOCK_SIZE;
        return new ForwardBatch(new int[] {(pos * 31 + 7) % config.vocabSize()}, new int[] {pos}, new int[] {0, 1},
                new int[] {pos + 1}, new int[][] {blockTable}, new int[] {slot}, new int[] {0});
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        ModelConfig config = DummyWeights.qwen25_05b();
        try (Arena arena = Arena.ofShared(); CpuBackend backend = new CpuBackend(new BackendOptions(threads))) {
            backend.loadModel(config, DummyWeights.bf16(config, arena, 1));
            backend.allocateKvCache(MAX_POSITIONS / BLOCK_SIZE + 3, BLOCK_SIZE);
            int[] blockTable = new int[MAX_POSITIONS / BLOCK_SIZE];
            for (int i = 0; i < blockTable.length; i++) blockTable[i] = (i * 7 + 3) % (blockTable.length + 3);
            StepProfile profile = new StepProfile();
            int pos = 0;
            for (int round = 0; round <= rounds; round++) { // round 0 warms up
                backend.profile(null);
                profile.reset();
                backend.profile(profile);
                long t0 = System.nanoTime();
                for (int s = 0; s < steps; s++, pos = (pos + 1) % MAX_POSITIONS) {
                    backend.forward(decodeStep(config, blockTable, pos));
                }
                double ms = (System.nanoTime() - t0) / 1e6 / steps;
                if (round == 0) continue;
                System.out.printf("round %d: %.2f ms/step (%.2f tokens/s), %.1f parallel regions per step, load average %s%n",
                        round, ms, 1000 / ms, profile.regionsPerStep(), loadAverage());
                for (StepProfile.Phase p : StepProfile.Phase.values()) {
                    double m = profile.millisPerStep(p);
                    if (m > 0) System.out.printf("  %-22s %7.3f ms  %5.1f %%%n", p, m, 100 * m / ms);
                }
            }
        }
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
