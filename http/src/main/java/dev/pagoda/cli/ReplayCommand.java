package dev.pagoda.cli;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.events.TraceFile;
import dev.pagoda.engine.events.TraceHeader;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./pagoda replay FILE [--step N] [--explain]}: steps through a trace recorded with
 * {@code --trace-file} on the CPU engine, printing what the scheduler did at each step (and why,
 * with {@code --explain}), and checks that the CPU engine, given the same requests at the same
 * steps, makes the same decisions. Exit code 0 when every step matched, 1 at the first divergence
 * (reported), 2 for a trace it cannot read.
 */
@CommandLine.Command(name = "replay",
        description = "step through a trace recorded with --trace-file on the CPU engine: what the scheduler did and why; checks the replay matches")
final class ReplayCommand implements Command {
    @Parameters(index = "0", paramLabel = "FILE", description = "a trace written by serve or generate --trace-file")
    Path file;

    @Option(names = "--step", paramLabel = "N", description = "print only step N (the steps before it are still replayed and checked)")
    Long step;

    @Option(names = "--explain", description = "say why after each decision, and print the block tables")
    boolean explain;

    @Option(names = "--model", paramLabel = "DIR", description = "the model directory (default: the one the trace names)")
    Path model;

    @Override
    public int run(InputStream in, PrintStream out, PrintStream err) {
        if (!Files.isRegularFile(file)) throw new CliException("the trace " + file + " is not a file");
        TraceFile trace;
        try {
            trace = TraceFile.read(file);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new CliException(e.getMessage());
        }
        if (step != null && trace.steps().stream().noneMatch(s -> s.step() == step)) {
            throw new CliException("--step " + step + ": the trace has no step " + step + " (it records "
                    + (trace.steps().isEmpty() ? "none" : "steps " + trace.steps().getFirst().step() + " to " + trace.steps().getLast().step()) + ")");
        }
        TraceHeader h = trace.header();
        Path modelDir = model != null ? model : Path.of(h.model());
        if (!Files.isDirectory(modelDir)) throw new CliException("the trace's model " + modelDir + " is not a directory (use --model DIR)");
        EngineConfig config = new EngineConfig(h.blockSize(), h.numBlocks(), EngineConfig.DEFAULT_KV_CACHE_MEMORY, h.maxNumSeqs(),
                h.maxNumBatchedTokens(), h.maxModelLen(), h.enablePrefixCaching(), h.seed());
        out.println("replaying " + file + ": " + trace.steps().size() + " steps recorded on " + h.device() + " with " + h.model()
                + " (block_size " + h.blockSize() + ", " + h.numBlocks() + " blocks, max_num_seqs " + h.maxNumSeqs()
                + ", max_num_batched_tokens " + h.maxNumBatchedTokens() + ")");
        try (LoadedModel loaded = ModelLoader.load(modelDir, LoadFormat.SAFETENSORS);
                ComputeBackend cpu = ComputeBackends.create("cpu", new BackendOptions(0))) {
            cpu.loadModel(loaded.config(), loaded.weights());
            LlmEngine engine = new LlmEngine(cpu, loaded.config(), loaded.generationConfig(), Tokenizer.fromDirectory(modelDir), config);
            TraceReplay.Result r = new TraceReplay(engine).run(trace, out, explain, step);
            if (r.divergence() != null) {
                out.println("DIVERGED after " + r.stepsReplayed() + " matching steps: " + r.divergence());
                return 1;
            }
            out.println("replayed " + r.stepsReplayed() + " steps: the CPU engine made the recorded decisions");
            return 0;
        }
    }
}
