package dev.pagoda.backend.cpu;

import dev.pagoda.engine.model.Tensor;
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The bf16 matvec kernel (one activation row × a weight matrix, all threads), in GB/s of weights
 * read, next to the machine's read bandwidth measured in the same run ({@code readBandwidth}).
 * The {@code gigabytes} counter is normalized per second by JMH: it reads directly as GB/s.
 *
 * <p>Shapes: Qwen2.5-0.5B's lm_head (272 MB, far beyond the L3 cache, so this is DRAM bandwidth)
 * and its gate_proj (8.7 MB, fits in a 32 MB L3: shows the kernel's in-cache speed).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatVecBenchmark {

    /** Weight rows x columns. */
    @Param({"151936x896", "4864x896"})
    public String shape;

    /** Batch rows multiplied by the matrix (1 = matvec; 16 = a batched decode step's shape). */
    @Param({"1"})
    public int rows;

    /** Threads (0 = all cores). */
    @Param({"0", "1"})
    public int threads;

    private Arena arena;
    private WorkerPool pool;
    private Linear[] linear;
    private float[] x, y;
    private float[][] outs, scratch;
    private ReadBandwidth bandwidth;

    /** Per-second counter of gigabytes read (JMH normalizes OPERATIONS counters by time). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public double gigabytes;
        /** Per-second counter of fp32 GFLOP (2 per multiply-add). */
        public double gflops;

        @Setup(Level.Iteration)
        public void reset() {
            gigabytes = 0;
            gflops = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        int rows = Integer.parseInt(shape.split("x")[0]), cols = Integer.parseInt(shape.split("x")[1]);
        int n = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        arena = Arena.ofShared();
        pool = new WorkerPool(n);
        Tensor w = DummyWeights.random("w", arena, new long[] {42}, rows, cols);
        linear = new Linear[] {Linear.of(w, null, rows, cols)};
        x = new float[this.rows * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        y = new float[this.rows * rows];
        outs = new float[][] {y};
        scratch = new float[n][];
        bandwidth = new ReadBandwidth(512L << 20, n);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        bandwidth.close();
        arena.close();
    }

    @Benchmark
    public float matVecBf16(Bytes bytes) {
        MatMul.forward(pool, x, rows, linear, outs, scratch);
        bytes.gigabytes += linear[0].weightBytes() / 1e9;
        bytes.gflops += 2.0 * rows * linear[0].outFeatures() * linear[0].inFeatures() / 1e9;
        return y[0];
    }

    @Benchmark
    public float readBandwidth(Bytes bytes) {
        float s = bandwidth.readOnce(pool);
        bytes.gigabytes += bandwidth.buffer.byteSize() / 1e9;
        return s;
    }
}
