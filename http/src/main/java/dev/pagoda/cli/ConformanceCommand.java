package dev.pagoda.cli;

import dev.pagoda.backend.cuda.ConformanceCases;
import dev.pagoda.backend.cuda.ConformanceLimits;
import dev.pagoda.backend.cuda.ConformanceReport;
import dev.pagoda.backend.cuda.ConformanceSuite;
import dev.pagoda.backend.cuda.CudaBackend;
import dev.pagoda.backend.cuda.HfGolden;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code ./pagoda conformance}: runs the conformance cases ({@link ConformanceCases}: scattered
 * block tables, block sizes 8/16/32, prefill, prefix-cache hit, decode, chunked prefill, mixed
 * batch) of one model on a device and prints the report ({@link ConformanceReport}).
 *
 * <ul>
 *   <li>{@code --device cuda}: the CUDA backend (bf16) against the CPU reference (fp32), with the
 *       bf16 limits of {@code CudaTolerances}, plus its schedule invariance, plus Hugging Face's logits
 *       where a golden exists for the model.</li>
 *   <li>{@code --device cpu}: the CPU backend under the cases against the CPU's simplest path (each
 *       sequence alone, one prefill, contiguous blocks), which must be bit-identical (the CPU's
 *       schedule invariance: what would break is paging, masking or batching), plus Hugging Face's
 *       logits where a golden exists (the meaningful accuracy check on the CPU: within 1e-5).</li>
 * </ul>
 * Exit status 0 when every case passes, 1 otherwise.
 */
@CommandLine.Command(name = "conformance",
        description = "check a backend's logits against the CPU reference and Hugging Face goldens, case by case (default: the bundled stories260K)")
final class ConformanceCommand implements Command {
    @Option(names = "--model", paramLabel = "DIR", description = "a model directory (default: the bundled stories260K)")
    Path model;

    @Option(names = "--device", paramLabel = "DEVICE", description = "cpu, cuda or auto (cuda where a GPU is found) (default: ${DEFAULT-VALUE})")
    String device = "auto";

    @Option(names = "--load-format", paramLabel = "FORMAT", description = "safetensors, or dummy (random weights from config.json) (default: ${DEFAULT-VALUE})")
    String loadFormat = "safetensors";

    @Option(names = "--random-weights", description = "the checkpoint holds random weights (the test models): the looser bf16 limits (implied by --load-format dummy)")
    boolean randomWeights;

    @Option(names = "--block-sizes", paramLabel = "N,N", split = ",", description = "KV block sizes to run the cases with (default: 8,16,32)")
    List<Integer> blockSizes = ConformanceCases.BLOCK_SIZES;

    @Option(names = "--report", paramLabel = "FILE", description = "also write the report to FILE")
    Path reportFile;

    @Option(names = "--threads", paramLabel = "N", description = "CPU backend threads; 0: one per core (default: ${DEFAULT-VALUE})")
    int threads;

    @Override
    public int run(InputStream in, PrintStream out, PrintStream err) throws IOException {
        LoadFormat format;
        try {
            format = LoadFormat.fromCli(loadFormat);
        } catch (IllegalArgumentException e) {
            throw new CliException("--load-format: " + e.getMessage());
        }
        if (!List.of("auto", "cpu", "cuda").contains(device)) throw new CliException("--device must be cpu, cuda or auto, got '" + device + "'");
        for (int b : blockSizes) if (b < 1 || b > ConformanceCases.SEQ_LEN) throw new CliException("--block-sizes: " + b + " is not in [1, " + ConformanceCases.SEQ_LEN + "]");
        Path modelDir = model != null ? model : DefaultModel.path();
        if (!Files.isDirectory(modelDir)) throw new CliException("--model: " + modelDir + " is not a directory");
        boolean random = randomWeights || format == LoadFormat.DUMMY;

        try (LoadedModel loaded = ModelLoader.load(modelDir, format);
             ComputeBackend reference = ComputeBackends.create("cpu", new BackendOptions(threads));
             ComputeBackend candidate = candidate(err)) {
            reference.loadModel(loaded.config(), loaded.weights());
            candidate.loadModel(loaded.config(), loaded.weights());
            boolean cuda = candidate instanceof CudaBackend;
            Optional<HfGolden> golden = format == LoadFormat.DUMMY ? Optional.empty() : HfGolden.forModel(repoRoot(), modelDir);
            ConformanceLimits limits = cuda ? ConformanceLimits.cuda(!random) : ConformanceLimits.cpu();
            String refText = "the CPU backend (float32), each sequence alone in one prefill over contiguous blocks"
                    + golden.map(g -> "; Hugging Face logits '" + g.name() + "' (" + g.versions() + ", float32)")
                            .orElse("; no Hugging Face golden for this model")
                    + (cuda ? "" : "; on the CPU the cases check paging/batching invariance, the golden checks accuracy");
            long start = System.nanoTime();
            List<ConformanceReport.CaseResult> results = ConformanceSuite.run(reference, candidate, loaded.config().vocabSize(),
                    limits, blockSizes, cuda, golden);
            ConformanceReport report = new ConformanceReport(modelDir.getFileName() + (random ? " (random weights)" : ""),
                    cuda ? ((CudaBackend) candidate).describeDevice() : "CPU (" + Runtime.getRuntime().availableProcessors() + " cores, Vector API)",
                    cuda ? ((CudaBackend) candidate).driverVersion() : "-",
                    cuda ? "bfloat16 weights/activations/KV, float32 accumulation (checkpoint: " + loaded.config().dtype() + ")"
                            : "float32 (checkpoint: " + loaded.config().dtype() + ", widened on load)",
                    refText, limits, results);
            String text = report.format() + String.format("  took %.1f s%n", (System.nanoTime() - start) / 1e9);
            out.print(text);
            out.flush();
            if (reportFile != null) Files.writeString(reportFile, text);
            return report.passed() ? 0 : 1;
        }
    }

    /** The backend under test: --device, where auto takes cuda when a GPU (and the kernels) are there. */
    private ComputeBackend candidate(PrintStream err) {
        if (device.equals("cpu")) return ComputeBackends.create("cpu", new BackendOptions(threads));
        if (device.equals("cuda")) return ComputeBackends.create("cuda", BackendOptions.defaults());
        try {
            return ComputeBackends.create("cuda", BackendOptions.defaults());
        } catch (RuntimeException | LinkageError e) {
            err.println("pagoda conformance: no CUDA device (" + e.getMessage() + "); checking the CPU backend");
            return ComputeBackends.create("cpu", new BackendOptions(threads));
        }
    }

    private static Path repoRoot() {
        String home = System.getProperty("pagoda.home");
        return home != null ? Path.of(home) : Path.of("").toAbsolutePath();
    }
}
