package dev.pagoda.backend.cuda;

import static jcuda.driver.JCudaDriver.*;

import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;

/**
 * One-row linear layers (single-stream decode) per shape: cuBLAS GemmEx vs Gemv.cu, weight bytes ÷
 * GPU time against the copy kernel's bandwidth measured in the same run. Each figure is one CUDA
 * graph of back-to-back products over rotating copies of the weight (more bytes than L2 holds), so
 * that neither launch cost nor the cache flatters it. Run by scripts/gpu/run-on-gpu.sh:
 * {@code java -cp … dev.pagoda.backend.cuda.GemvBenchmark}.
 */
public final class GemvBenchmark {
    public static void main(String[] args) {
        try (CudaContext cuda = new CudaContext(); Cublas cublas = new Cublas(cuda.rawStream)) {
            long workspaceBytes = 32L << 20;
            cublas.setWorkspace(cuda.allocate(workspaceBytes).address(), workspaceBytes);
            double bandwidth = CopyBandwidth.measure(cuda, 1L << 30, 20);
            System.out.printf("device: %s; copy kernel bandwidth %.0f GB/s%n", cuda.deviceName, bandwidth / 1e9);
            System.out.println("| shape [out, in] | layer | cuBLAS µs (% of copy bw) | Gemv.cu µs (% of copy bw) |");
            System.out.println("| --- | --- | --- | --- |");
            Gemv gemv = new Gemv(cuda);
            int[][] shapes = {{1152, 896}, {896, 896}, {9728, 896}, {896, 4864}, {151936, 896},
                    {6144, 4096}, {4096, 4096}, {28672, 4096}, {4096, 14336}, {128256, 4096}};
            String[] names = {"Qwen0.5B qkv", "Qwen0.5B o_proj", "Qwen0.5B gate_up", "Qwen0.5B down", "Qwen0.5B lm_head",
                    "Llama8B qkv", "Llama8B o_proj", "Llama8B gate_up", "Llama8B down", "Llama8B lm_head"};
            for (int s = 0; s < shapes.length; s++) {
                int out = shapes[s][0], in = shapes[s][1];
                long bytes = 2L * out * in;
                int copies = (int) Math.max(2, Math.min(64, (512L << 20) / bytes));
                DeviceBuffer[] w = new DeviceBuffer[copies];
                for (int c = 0; c < copies; c++) w[c] = PagedAttentionBenchmark.randomBf16(cuda, (long) out * in);
                DeviceBuffer x = PagedAttentionBenchmark.randomBf16(cuda, in), y = cuda.allocate(4L * out);
                double cublasMs = graphMillis(cuda, copies, c -> cublas.linear(y.address(), Cublas.CUDA_R_32F, x.address(), w[c].address(), 1, out, in));
                double gemvMs = graphMillis(cuda, copies, c -> gemv.linear(y.address(), x.address(), w[c].address(), 1, out, in));
                System.out.printf("| [%d, %d] | %s | %.1f (%.0f%%) | %.1f (%.0f%%) |%n", out, in, names[s],
                        cublasMs * 1e3, 100 * bytes / (cublasMs / 1e3) / bandwidth, gemvMs * 1e3, 100 * bytes / (gemvMs / 1e3) / bandwidth);
                for (DeviceBuffer b : w) cuda.free(b);
                cuda.free(x);
                cuda.free(y);
            }
        }
    }

    /** ms per product: a graph of 4 × copies products (weight copy c = i % copies), replayed 5 times, median. */
    static double graphMillis(CudaContext cuda, int copies, java.util.function.IntConsumer product) {
        for (int c = 0; c < copies; c++) product.accept(c); // load kernels, pick algorithms, outside the capture
        cuda.synchronize();
        int n = 4 * copies;
        CUgraph graph = new CUgraph();
        cuStreamBeginCapture(cuda.stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED);
        for (int i = 0; i < n; i++) product.accept(i % copies);
        cuStreamEndCapture(cuda.stream, graph);
        CUgraphExec exec = new CUgraphExec();
        cuGraphInstantiate(exec, graph, 0);
        double ms = PagedAttentionBenchmark.time(cuda, () -> cuGraphLaunch(exec, cuda.stream)) / n;
        cuGraphExecDestroy(exec);
        cuGraphDestroy(graph);
        return ms;
    }
}
