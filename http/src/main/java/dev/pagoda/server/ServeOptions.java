package dev.pagoda.server;

import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.model.LoadFormat;
import java.nio.file.Path;
import java.util.List;

/**
 * What to serve and how to run the engine ({@code ./pagoda serve}'s model-side flags).
 *
 * @param modelDir          a Hugging Face model directory
 * @param servedModelNames  names clients use; empty = the directory's path as given (vLLM's default)
 * @param device            backend name: {@code cpu} or {@code cuda}
 * @param numThreads        backend threads; 0 = every core
 * @param chatTemplateFile  overrides the model's chat template; null = the model's
 * @param generationConfig  {@code auto} (the model's generation_config.json), {@code vllm} (none), or a directory holding one
 * @param gpuMemoryUtilization on cuda: the fraction of device memory for weights, activations and KV cache (vLLM's 0.9); ignored on cpu
 * @param skipConformanceCheck on cuda: serve without first comparing the GPU with the CPU reference
 */
public record ServeOptions(Path modelDir, List<String> servedModelNames, LoadFormat loadFormat, String device, int numThreads,
                           EngineConfig engineConfig, Path chatTemplateFile, String generationConfig,
                           double gpuMemoryUtilization, boolean skipConformanceCheck) {
    public static final double DEFAULT_GPU_MEMORY_UTILIZATION = 0.9;

    public ServeOptions {
        servedModelNames = List.copyOf(servedModelNames);
        if (!(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1)) {
            throw new IllegalArgumentException("--gpu-memory-utilization must be in (0, 1], got " + gpuMemoryUtilization);
        }
    }

    /** The CPU-era options: default GPU utilization, conformance check on. */
    public ServeOptions(Path modelDir, List<String> servedModelNames, LoadFormat loadFormat, String device, int numThreads,
                        EngineConfig engineConfig, Path chatTemplateFile, String generationConfig) {
        this(modelDir, servedModelNames, loadFormat, device, numThreads, engineConfig, chatTemplateFile, generationConfig,
                DEFAULT_GPU_MEMORY_UTILIZATION, false);
    }

    public static ServeOptions of(Path modelDir) {
        return new ServeOptions(modelDir, List.of(), LoadFormat.fromCli("safetensors"), "cpu", 0, EngineConfig.defaults(), null, "auto");
    }

    public ServeOptions withEngineConfig(EngineConfig c) {
        return new ServeOptions(modelDir, servedModelNames, loadFormat, device, numThreads, c, chatTemplateFile, generationConfig,
                gpuMemoryUtilization, skipConformanceCheck);
    }

    public ServeOptions withServedModelNames(List<String> names) {
        return new ServeOptions(modelDir, names, loadFormat, device, numThreads, engineConfig, chatTemplateFile, generationConfig,
                gpuMemoryUtilization, skipConformanceCheck);
    }

    public ServeOptions withNumThreads(int n) {
        return new ServeOptions(modelDir, servedModelNames, loadFormat, device, n, engineConfig, chatTemplateFile, generationConfig,
                gpuMemoryUtilization, skipConformanceCheck);
    }
}
