package dev.pagoda.conformance.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.backend.cuda.CudaBackend;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.engine.RequestOutput;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The engine on the GPU with sampling on the device (CudaSampler through ComputeBackend.deviceSampler):
 * stories260K's greedy continuation is llama2.c's, in a batch beside seeded sampled requests, and
 * a seeded request gives the same tokens twice (the device draws with the engine's counter-based uniforms).
 */
@Tag("gpu")
class CudaEngineSamplingTest {

    @Test
    void greedyOnTheDeviceIsLlama2cAndSeedsRepeat() throws IOException {
        List<String> lines = Files.readAllLines(Fixtures.repo("conformance/src/test/resources/stories260k/expected-greedy.txt"));
        int[] prompt = ids(lines, "prompt_ids:"), expected = ids(lines, "generated_ids");
        try (LoadedModel model = ModelLoader.load(Fixtures.stories260k(), LoadFormat.SAFETENSORS);
             ComputeBackend backend = ComputeBackends.create("cuda", BackendOptions.defaults())) {
            CudaBackend cuda = (CudaBackend) backend;
            cuda.loadModel(model.config(), model.weights());
            cuda.setDeviceSampling(true);
            Tokenizer tokenizer = Tokenizer.fromDirectory(Fixtures.stories260k());
            LlmEngine engine = new LlmEngine(cuda, model.config(), model.generationConfig(), tokenizer,
                    EngineConfig.defaults().withBlockSize(16).withNumKvBlocks(256));
            int captured = cuda.capturedGraphs();
            assertTrue(captured >= 15, "the warm-up captured " + captured + " decode graphs, not one per padded size (15 up to the default 256 sequences)");
            SamplingParams greedy = SamplingParams.builder().temperature(0).maxTokens(expected.length).ignoreEos(true).build();
            SamplingParams seeded = SamplingParams.builder().temperature(0.8).topK(40).topP(0.95).seed(42).maxTokens(40).ignoreEos(true).logprobs(3).build();
            List<int[]> prompts = new ArrayList<>(List.of(prompt, prompt, prompt));
            List<RequestOutput> first = engine.generate(prompts, List.of(greedy, seeded, seeded));
            assertArrayEquals(expected, first.get(0).outputs().getFirst().tokenIds(), "greedy on the device differs from llama2.c");
            int[] a = first.get(1).outputs().getFirst().tokenIds(), b = first.get(2).outputs().getFirst().tokenIds();
            assertArrayEquals(a, b, "the same seed in one batch gave different tokens");
            assertEquals(40, first.get(1).outputs().getFirst().logprobs().size());
            assertEquals(captured, cuda.capturedGraphs(), "a decode step captured a graph the warm-up did not: " + cuda.pathStatistics());
            assertTrue(cuda.sampler().sampledRows() >= expected.length, "the engine did not sample on the device: " + cuda.sampler().sampledRows() + " rows");
            System.out.println("device-sampled stories260K, seed 42: " + Arrays.toString(a) + " (" + cuda.sampler().sampledRows() + " rows on the device)");
        }
    }

    private static int[] ids(List<String> lines, String prefix) {
        String line = lines.stream().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new IllegalStateException("expected-greedy.txt: no line starting with '" + prefix + "'"));
        return Arrays.stream(line.substring(line.indexOf(':') + 1).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
    }
}
