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
 */
public record ServeOptions(Path modelDir, List<String> servedModelNames, LoadFormat loadFormat, String device, int numThreads,
                           EngineConfig engineConfig, Path chatTemplateFile, String generationConfig) {
    public ServeOptions {
        servedModelNames = List.copyOf(servedModelNames);
    }

    public static ServeOptions of(Path modelDir) {
        return new ServeOptions(modelDir, List.of(), LoadFormat.fromCli("safetensors"), "cpu", 0, EngineConfig.defaults(), null, "auto");
    }

    public ServeOptions withEngineConfig(EngineConfig c) {
        return new ServeOptions(modelDir, servedModelNames, loadFormat, device, numThreads, c, chatTemplateFile, generationConfig);
    }

    public ServeOptions withServedModelNames(List<String> names) {
        return new ServeOptions(modelDir, names, loadFormat, device, numThreads, engineConfig, chatTemplateFile, generationConfig);
    }

    public ServeOptions withNumThreads(int n) {
        return new ServeOptions(modelDir, servedModelNames, loadFormat, device, n, engineConfig, chatTemplateFile, generationConfig);
    }
}
