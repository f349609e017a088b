package dev.pagoda.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.backend.cuda.ConformanceCases;
import dev.pagoda.backend.cuda.ConformanceLimits;
import dev.pagoda.backend.cuda.ConformanceReport;
import dev.pagoda.backend.cuda.ConformanceSuite;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelLoader;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@link ModelMatrix} covers every architecture × head size 64/128 × GQA ratio 1/4/8, and on the
 * CPU the conformance cases are bit-identical to the CPU's simplest path on six of its models (each
 * head size × GQA ratio once, the architecture and the block size rotating, to stay within seconds in
 * CI; the GPU run, CudaConformanceTest, takes all 24 with every block size).
 */
class ModelMatrixTest {

    @Test
    void coversEveryArchitectureHeadSizeAndGqaRatio() {
        Set<String> seen = new HashSet<>();
        for (ModelMatrix.Entry e : ModelMatrix.entries()) {
            ModelConfig c = e.config();
            seen.add(c.modelType() + "/" + c.headDim() + "/" + c.numQueriesPerKv());
        }
        for (String arch : List.of("llama", "mistral", "qwen2", "qwen3")) {
            for (int hd : List.of(64, 128)) {
                for (int ratio : List.of(1, 4, 8)) assertTrue(seen.contains(arch + "/" + hd + "/" + ratio), arch + " head size " + hd + " GQA " + ratio + " missing");
            }
        }
        assertEquals(24, seen.size());
    }

    static Stream<Named<ModelMatrix.Entry>> entries() {
        List<ModelMatrix.Entry> all = ModelMatrix.entries();
        return java.util.stream.IntStream.range(0, 6)
                .mapToObj(i -> all.get((i % 4) * 6 + i)) // entries are arch-major, 6 per architecture
                .map(e -> Named.of(e.name(), e));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void cpuCasesAreBitIdenticalToTheSimplestPath(ModelMatrix.Entry entry) {
        int index = ModelMatrix.entries().indexOf(entry);
        int blockSize = ConformanceCases.BLOCK_SIZES.get(index % ConformanceCases.BLOCK_SIZES.size());
        try (LoadedModel model = ModelLoader.load(ModelMatrix.directory(entry), LoadFormat.SAFETENSORS);
             ComputeBackend reference = ComputeBackends.create("cpu", BackendOptions.defaults());
             ComputeBackend candidate = ComputeBackends.create("cpu", BackendOptions.defaults())) {
            reference.loadModel(model.config(), model.weights());
            candidate.loadModel(model.config(), model.weights());
            List<ConformanceReport.CaseResult> results = ConformanceSuite.run(reference, candidate, model.config().vocabSize(),
                    ConformanceLimits.cpu(), List.of(blockSize), false, Optional.empty());
            ConformanceReport report = new ConformanceReport(entry.name(), "cpu", "-", "float32", "CPU, one prefill", ConformanceLimits.cpu(), results);
            assertTrue(report.passed(), report::format);
        }
    }
}
