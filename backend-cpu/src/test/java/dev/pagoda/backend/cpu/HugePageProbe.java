package dev.pagoda.backend.cpu;

import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A probe, not a test: how fast the bf16 matvec streams Qwen2.5-0.5B's lm_head (272 MB, far beyond
 * the L3) next to the machine's read bandwidth, with the weights on 4 KB pages and on transparent
 * huge pages ({@code madvise(MADV_HUGEPAGE)} before the first touch: this machine's THP mode is
 * {@code madvise}), alternated in one JVM, one line per round. Decode reads every weight once per
 * token, so this is the ceiling each of its matmul phases could reach (docs/benchmarks-cpu-decode.md).
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp &lt;bench class path&gt; dev.pagoda.backend.cpu.HugePageProbe [rounds]
 * </pre>
 */
public final class HugePageProbe {
    private static final long TWO_MIB = 2L << 20;
    private static final int MADV_HUGEPAGE = 14;

    public static void main(String[] args) throws Throwable {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int threads = Runtime.getRuntime().availableProcessors(), rows = 151936, cols = 896;
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(threads); ReadBandwidth read = new ReadBandwidth(512L << 20, threads)) {
            Tensor random = DummyWeights.random("lm_head", arena, new long[] {42}, rows, cols);
            Linear[][] layers = new Linear[2][];
            for (int huge = 0; huge < 2; huge++) {
                MemorySegment copy = unzeroed(random.data().byteSize(), huge == 1);
                copy.copyFrom(random.data());
                layers[huge] = new Linear[] {Linear.of(new Tensor("lm_head", DType.BF16, new long[] {rows, cols}, copy), null, rows, cols)};
            }
            System.out.println(Files.readString(Path.of("/proc/meminfo")).lines().filter(l -> l.startsWith("AnonHugePages")).findFirst().orElse(""));
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) x[i] = (float) Math.sin(i);
            float[][] outs = {new float[rows]}, scratch = new float[threads][];
            float sink = 0;
            for (int r = 0; r <= rounds; r++) { // round 0 warms up
                StringBuilder line = new StringBuilder("round " + r + ":");
                for (int huge = 0; huge < 2; huge++) {
                    long t0 = System.nanoTime();
                    sink += read.readOnce(pool);
                    long t1 = System.nanoTime();
                    for (int k = 0; k < 2; k++) MatMul.forward(pool, x, 1, layers[huge], outs, scratch);
                    long t2 = System.nanoTime();
                    line.append(String.format(" | read %.1f GB/s, matvec on %s pages %.1f GB/s", read.buffer.byteSize() / (t1 - t0 + 0.0),
                            huge == 1 ? "huge" : "4 KB", 2 * layers[huge][0].weightBytes() / (t2 - t1 + 0.0)));
                    sink += outs[0][7];
                }
                if (r > 0) System.out.println(line);
            }
            System.out.println("(checksum " + sink + ")");
        }
    }

    /** {@code bytes} of native memory, 2 MiB-aligned and not yet touched (Arena.allocate zeroes it, faulting in 4 KB pages first); never freed. */
    private static MemorySegment unzeroed(long bytes, boolean hugePages) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle alignedAlloc = linker.downcallHandle(linker.defaultLookup().find("aligned_alloc").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        long size = (bytes + TWO_MIB - 1) & -TWO_MIB;
        MemorySegment segment = ((MemorySegment) alignedAlloc.invokeExact(TWO_MIB, size)).reinterpret(size);
        if (hugePages) {
            MethodHandle madvise = linker.downcallHandle(linker.defaultLookup().find("madvise").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            if ((int) madvise.invokeExact(segment, size, MADV_HUGEPAGE) != 0) System.out.println("madvise(MADV_HUGEPAGE) failed");
        }
        return segment.asSlice(0, bytes);
    }
}
