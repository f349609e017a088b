package dev.pagoda.backend.cpu;

import dev.pagoda.engine.model.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A probe, not a test: how fast the bf16 matvec streams Qwen2.5-0.5B's lm_head (272 MB, far beyond
 * the L3) next to the machine's read bandwidth, with the weights on 4 KB pages and on transparent
 * huge pages ({@link HugePages}), alternated in one JVM, one line per round. Decode reads every weight once per
 * token, so this is the ceiling each of its matmul phases could reach (docs/benchmarks-cpu-decode.md).
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp &lt;bench class path&gt; dev.pagoda.backend.cpu.HugePageProbe [rounds]
 * </pre>
 */
public final class HugePageProbe {
    public static void main(String[] args) throws Throwable {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int threads = Runtime.getRuntime().availableProcessors(), rows = 151936, cols = 896;
        try (Arena arena = Arena.ofShared(); HugePages huge = new HugePages(); WorkerPool pool = new WorkerPool(threads);
             ReadBandwidth read = new ReadBandwidth(512L << 20, threads)) {
            Tensor random = DummyWeights.random("lm_head", arena, new long[] {42}, rows, cols);
            Linear[][] layers = new Linear[2][];
            for (int onHugePages = 0; onHugePages < 2; onHugePages++) {
                Tensor t = onHugePages == 1 ? huge.place(random) : random; // Arena.allocate touched `random`'s pages: 4 KB ones
                layers[onHugePages] = new Linear[] {Linear.of(t, null, rows, cols)};
            }
            System.out.println(Files.readString(Path.of("/proc/meminfo")).lines().filter(l -> l.startsWith("AnonHugePages")).findFirst().orElse(""));
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) x[i] = (float) Math.sin(i);
            float[][] outs = {new float[rows]}, scratch = new float[threads][];
            float sink = 0;
            for (int r = 0; r <= rounds; r++) { // round 0 warms up
                StringBuilder line = new StringBuilder("round " + r + ":");
                for (int h = 0; h < 2; h++) {
                    long t0 = System.nanoTime();
                    sink += read.readOnce(pool);
                    long t1 = System.nanoTime();
                    for (int k = 0; k < 2; k++) MatMul.forward(pool, x, 1, layers[h], outs, scratch);
                    long t2 = System.nanoTime();
                    line.append(String.format(" | read %.1f GB/s, matvec on %s pages %.1f GB/s", read.buffer.byteSize() / (t1 - t0 + 0.0),
                            h == 1 ? "huge" : "4 KB", 2 * layers[h][0].weightBytes() / (t2 - t1 + 0.0)));
                    sink += outs[0][7];
                }
                if (r > 0) System.out.println(line);
            }
            System.out.println("(checksum " + sink + ")");
        }
    }
}
