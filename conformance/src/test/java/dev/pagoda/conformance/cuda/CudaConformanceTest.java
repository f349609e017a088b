package dev.pagoda.conformance.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.backend.cuda.ConformanceCases;
import dev.pagoda.backend.cuda.ConformanceLimits;
import dev.pagoda.backend.cuda.ConformanceReport;
import dev.pagoda.backend.cuda.ConformanceSuite;
import dev.pagoda.backend.cuda.CudaTolerances;
import dev.pagoda.backend.cuda.HfGolden;
import dev.pagoda.conformance.ModelMatrix;
import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CUDA backend against the CPU reference, same inputs, per position: max abs/rel error, KL
 * divergence and argmax agreement ({@link CudaTolerances}), over the cases {@code ./pagoda
 * conformance --device cuda} runs ({@link ConformanceCases}: scattered block tables, block sizes
 * 8/16/32, prefill, prefix-cache hit, decode, chunked prefill, mixed batch), on every committed
 * random-weight model (GQA 1/2/4/8, Qwen2 bias, Qwen3 q/k norm, llama3 RoPE, tied heads, head
 * sizes 8–32, F32/BF16/F16 checkpoints, each with an HF golden), the {@link ModelMatrix} (every
 * architecture at head sizes 64/128 and GQA 1/4/8) and stories260K.
 *
 * <p>bf16 noise on the random models is large (see {@link Bf16WeightSensitivityTest}), so a second
 * check does not depend on it: the GPU's logits of a position must not depend on the schedule that
 * produced them (the "schedule" lines), which is what a paging, chunking or masking bug would break.
 */
@Tag("gpu")
class CudaConformanceTest {
    static final int SEQ_LEN = ConformanceCases.SEQ_LEN;
    static final int NUM_BLOCKS = ConformanceCases.NUM_BLOCKS;

    static Stream<Named<Path>> models() throws IOException {
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> s = Files.list(Fixtures.repo("conformance/src/test/resources/models"))) {
            s.filter(Files::isDirectory).sorted().forEach(dirs::add);
        }
        for (ModelMatrix.Entry e : ModelMatrix.entries()) dirs.add(ModelMatrix.directory(e));
        dirs.add(Fixtures.stories260k());
        return dirs.stream().map(d -> Named.of(d.getFileName().toString(), d));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void cudaMatchesCpu(Path modelDir) {
        boolean trained = modelDir.equals(Fixtures.stories260k());
        try (BackendPair pair = new BackendPair(modelDir)) {
            List<ConformanceReport.CaseResult> results = ConformanceSuite.run(pair.cpu, pair.cuda, pair.vocabSize(),
                    ConformanceLimits.cuda(trained), ConformanceCases.BLOCK_SIZES, true, HfGolden.forModel(Fixtures.repoRoot(), modelDir));
            ConformanceReport report = new ConformanceReport(modelDir.getFileName().toString(), "cuda", "-", "bfloat16",
                    "CPU reference", ConformanceLimits.cuda(trained), results);
            System.out.print(report.format());
            assertTrue(report.passed(), report::format);
        }
    }
}
