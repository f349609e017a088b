package dev.pagoda.backend.cuda;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.DummyWeights;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.model.RandomWeights;
import dev.pagoda.engine.model.RopeScaling;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;

/**
 * Single-stream decode speed on a Qwen2.5-0.5B-shaped model with random (dummy) weights, next to
 * the device's copy bandwidth and the resulting HBM bound (weight bytes read per token ÷ bandwidth).
 * Eager launches (no CUDA graphs yet). Run on a GPU host by scripts/gpu/run-on-gpu.sh:
 * {@code java -cp … dev.pagoda.backend.cuda.CudaDecodeBenchmark [decodeSteps]}.
 */
public final class CudaDecodeBenchmark {
    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        // Qwen/Qwen2.5-0.5B's config.json: 24 layers, hidden 896, 14 heads / 2 kv heads of 64, MLP 4864, vocab 151936, tied, q/k/v bias.
        ModelConfig config = new ModelConfig("Qwen2ForCausalLM", "qwen2", 896, 4864, 24, 14, 2, 64, 151936, 32768,
                1e-6, 1_000_000.0, new RopeScaling.None(), true, true, false, DType.BF16, -1, List.of(151643));
        try (Arena arena = Arena.ofShared(); CudaBackend backend = new CudaBackend(BackendOptions.defaults())) {
            long t0 = System.nanoTime();
            ModelWeights weights = DummyWeights.create(config, arena, RandomWeights.DEFAULT);
            backend.loadModel(config, weights);
            System.out.printf("device: %s%nmodel: Qwen2.5-0.5B-shaped, dummy bf16 weights, loaded in %.1f s%n",
                    backend.describeDevice(), (System.nanoTime() - t0) / 1e9);
            if (args.length > 1 && args[1].equals("eager-only")) { // for a kernel profiler: nothing but eager decode steps
                backend.setCudaGraphs(false);
                backend.setGemv(args.length > 2 && args[2].equals("gemv"));
                decode(backend, steps, "eager, for the profiler");
                return;
            }
            double bandwidth = backend.measureCopyBandwidth(1L << 30, 20);
            System.out.printf("copy kernel bandwidth: %.0f GB/s (read + write, 1 GiB buffers, median of 20)%n", bandwidth / 1e9);

            System.out.printf("host cost of one eager cuLaunchKernel through JCuda: %.1f µs (a tiny kernel, 5000 back to back)%n", launchMicros());

            long weightBytes = backend.weightBytesPerToken();
            double boundMs = weightBytes / bandwidth * 1e3; // a step reads each weight once: bytes ÷ bandwidth (bytes moved per second)
            System.out.printf("weights read per token: %.1f MB → HBM bound %.3f ms/token (%.0f tok/s)%n", weightBytes / 1e6, boundMs, 1e3 / boundMs);
            for (boolean gemv : new boolean[] {false, true}) {
                backend.setGemv(gemv);
                for (boolean graphs : new boolean[] {false, true}) {
                    backend.setCudaGraphs(graphs);
                    double medianMs = decode(backend, steps, (graphs ? "CUDA graphs" : "eager") + ", linear layers by " + (gemv ? "Gemv.cu" : "cuBLAS"));
                    System.out.printf("  → %.0f%% of the HBM bound%n", 100 * boundMs / medianMs);
                    if (graphs) System.out.println("  " + backend.graphStepProfile());
                }
            }
            System.out.println(backend.pathStatistics());
        }
    }

    /** Prefill 16 tokens, then {@code steps} greedy decode steps of one sequence; prints and returns the median ms per step. */
    static double decode(CudaBackend backend, int steps, String label) {
        int blockSize = 16, prompt = 16, total = prompt + steps + 8;
        int numBlocks = (total + blockSize - 1) / blockSize;
        backend.allocateKvCache(numBlocks, blockSize);
        int[] table = new int[numBlocks];
        for (int i = 0; i < numBlocks; i++) table[i] = numBlocks - 1 - i;
        int[] ids = new int[prompt];
        Arrays.fill(ids, 42);
        backend.forward(batch(ids, 0, table, blockSize));
        long[] stepNanos = new long[steps];
        int token = 7;
        for (int i = 0; i < steps; i++) {
            long s = System.nanoTime();
            var logits = backend.forward(batch(new int[] {token}, prompt + i, table, blockSize));
            stepNanos[i] = System.nanoTime() - s;
            token = logits.argmax(0);
        }
        long[] sorted = stepNanos.clone();
        Arrays.sort(sorted);
        double medianMs = sorted[steps / 2] / 1e6;
        System.out.printf("decode (%s): %d steps, median %.3f ms/token = %.0f tok/s (p10 %.3f, p90 %.3f ms; the first step, with any capture, %.1f ms), logits of the row copied to host each step%n",
                label, steps, medianMs, 1e3 / medianMs, sorted[steps / 10] / 1e6, sorted[steps * 9 / 10] / 1e6, stepNanos[0] / 1e6);
        return medianMs;
    }

    /** Host time per launch of a trivial kernel, launched back to back, then one synchronize. */
    static double launchMicros() {
        try (CudaContext cuda = new CudaContext()) {
            jcuda.driver.CUfunction f = cuda.function(cuda.loadModule("Activation"), "silu_and_mul");
            DeviceBuffer buf = cuda.allocate(1 << 16);
            cuda.zero(buf);
            for (int i = 0; i < 200; i++) cuda.launch(f, 1, 1, 256, 0, buf.address(), buf.address() + 4096, 256);
            cuda.synchronize();
            long t = System.nanoTime();
            for (int i = 0; i < 5000; i++) cuda.launch(f, 1, 1, 256, 0, buf.address(), buf.address() + 4096, 256);
            cuda.synchronize();
            return (System.nanoTime() - t) / 5000 / 1e3;
        }
    }

    private static ForwardBatch batch(int[] ids, int start, int[] table, int blockSize) {
        int n = ids.length;
        int[] positions = new int[n], slots = new int[n];
        for (int i = 0; i < n; i++) {
            positions[i] = start + i;
            slots[i] = table[positions[i] / blockSize] * blockSize + positions[i] % blockSize;
        }
        return new ForwardBatch(ids, positions, new int[] {0, n}, new int[] {start + n}, new int[][] {table}, slots, new int[] {n - 1});
    }
}
