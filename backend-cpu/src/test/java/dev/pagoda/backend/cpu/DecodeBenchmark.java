package dev.pagoda.backend.cpu;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.ModelConfig;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Single-stream decode on a random-weight model of Qwen2.5-0.5B's shape in bf16 (~0.99 GB of
 * weights read per token, lm_head included), all cores: {@code decodeStep} reports tokens/s, and
 * its {@code gigabytes} counter the weight bytes read per second. {@code readBandwidth} measures the
 * machine's read bandwidth in the same run; the bound is {@code bandwidth / weight bytes per token}
 * tokens/s, printed at the end of the trial.
 *
 * <p>On a shared machine the background load changes between two benchmarks, so
 * {@code decodeVsBandwidth} also interleaves the two: each call decodes one token and then reads
 * the bandwidth buffer once, timing each, and prints after every iteration the decode tokens/s,
 * the read GB/s and decode's weight GB/s as a percentage of it, all under the same background.
 * (Its JMH score, pairs per second, means nothing.)
 *
 * <p>Each call decodes one token at the next position of a single sequence (positions 0..511,
 * then it starts over), so attention over the cache is included but small next to the weights.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class DecodeBenchmark {
    private static final int BLOCK_SIZE = 16, MAX_POSITIONS = 512;

    private Arena arena;
    private CpuBackend backend;
    private ReadBandwidth bandwidth;
    private WorkerPool bandwidthPool;
    private int[] blockTable;
    private int position;
    private long weightBytesPerToken;

    /** Per-second counter of weight gigabytes read. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public double gigabytes;

        @Setup(Level.Iteration)
        public void reset() {
            gigabytes = 0;
        }
    }

    /** Timings of {@code decodeVsBandwidth} within one iteration. */
    @State(Scope.Thread)
    public static class Interleaved {
        double tokensPerSecond, bandwidthGBs, boundPercent;
        long decodeNanos, readNanos, tokens, reads;

        @Setup(Level.Iteration)
        public void reset() {
            tokensPerSecond = bandwidthGBs = boundPercent = 0;
            decodeNanos = readNanos = tokens = reads = 0;
        }

        @TearDown(Level.Iteration)
        public void print() {
            System.out.printf("  [interleaved] decode %.2f tokens/s, read %.2f GB/s, decode at %.1f %% of the bound%n",
                    tokensPerSecond, bandwidthGBs, boundPercent);
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        ModelConfig config = DummyWeights.qwen25_05b();
        arena = Arena.ofShared();
        backend = new CpuBackend(BackendOptions.defaults());
        backend.loadModel(config, DummyWeights.bf16(config, arena, 1));
        backend.allocateKvCache(MAX_POSITIONS / BLOCK_SIZE + 3, BLOCK_SIZE);
        blockTable = new int[MAX_POSITIONS / BLOCK_SIZE];
        for (int i = 0; i < blockTable.length; i++) blockTable[i] = (i * 7 + 3) % (blockTable.length + 3); // scattered blocks
        weightBytesPerToken = backend.weightBytesPerToken();
        bandwidthPool = new WorkerPool(Runtime.getRuntime().availableProcessors());
        bandwidth = new ReadBandwidth(512L << 20, bandwidthPool.numThreads());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.printf("%nweight bytes per token: %d (%.3f GB)%n", weightBytesPerToken, weightBytesPerToken / 1e9);
        backend.close();
        bandwidthPool.close();
        bandwidth.close();
        arena.close();
    }

    @Benchmark
    public Logits decodeStep(Bytes bytes) {
        bytes.gigabytes += weightBytesPerToken / 1e9;
        return decodeOne();
    }

    @Benchmark
    public float decodeVsBandwidth(Interleaved s) {
        long t0 = System.nanoTime();
        Logits logits = decodeOne();
        long t1 = System.nanoTime();
        float sum = bandwidth.readOnce(bandwidthPool);
        long t2 = System.nanoTime();
        s.decodeNanos += t1 - t0;
        s.readNanos += t2 - t1;
        s.tokens++;
        s.reads++;
        s.tokensPerSecond = s.tokens * 1e9 / s.decodeNanos;
        s.bandwidthGBs = (double) s.reads * bandwidth.buffer.byteSize() / s.readNanos;
        s.boundPercent = 100 * (s.tokensPerSecond * weightBytesPerToken / 1e9) / s.bandwidthGBs;
        return sum + logits.values()[0];
    }

    private Logits decodeOne() {
        int pos = position;
        position = (position + 1) % MAX_POSITIONS;
        int slot = blockTable[pos / BLOCK_SIZE] * BLOCK_SIZE + pos % BLOCK_SIZE;
        ForwardBatch batch = new ForwardBatch(new int[] {(pos * 31 + 7) % 151936}, new int[] {pos}, new int[] {0, 1},
                new int[] {pos + 1}, new int[][] {blockTable}, new int[] {slot}, new int[] {0});
        return backend.forward(batch);
    }

    @Benchmark
    public float readBandwidth(Bytes bytes) {
        float s = bandwidth.readOnce(bandwidthPool);
        bytes.gigabytes += bandwidth.buffer.byteSize() / 1e9;
        return s;
    }
}
