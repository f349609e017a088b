package dev.pagoda.cli;

import dev.pagoda.backend.cpu.CpuBackend;
import dev.pagoda.backend.cuda.CudaMemoryEstimate;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.GpuMemoryPlan;
import dev.pagoda.engine.engine.KvCacheSizing;
import dev.pagoda.engine.kvcache.BlockTable;
import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelConfigParser;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./pagoda explain-memory [MODEL] [--max-model-len N] [--kv-cache-memory SIZE | --device cuda
 * --gpu-memory-utilization F --gpu-memory-total SIZE|PRESET]}: the memory plan {@code serve} would make,
 * worked out from {@code config.json} and the safetensors headers alone — no weights read, no GPU.
 *
 * <p>The lines that {@code serve} also logs ({@code memory plan: …}, {@code maximum concurrency …},
 * and on CUDA {@code GPU memory: …}, {@code GPU KV cache size: …}) come from the same code
 * ({@link KvCacheSizing}, {@link GpuMemoryPlan#of}); the backend's KV block size is
 * {@link CpuBackend#kvCacheBytesPerBlock(ModelConfig, int)} or {@link CudaMemoryEstimate}. On CUDA,
 * where serve measures, this estimates: see {@link GpuEstimate}.
 */
@CommandLine.Command(name = "explain-memory",
        description = "explain the memory plan (weights, KV bytes per token and block, blocks, concurrency) from config.json alone")
final class ExplainMemoryCommand implements Command {

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "a model directory (default: the bundled stories260K)")
    String modelPositional;

    @Option(names = "--model", paramLabel = "DIR", description = "a model directory, as MODEL")
    String modelOption;

    @Option(names = "--device", paramLabel = "DEVICE", description = "cpu or cuda (default: ${DEFAULT-VALUE})")
    String device = "cpu";

    @Option(names = "--gpu-memory-utilization", paramLabel = "FRACTION",
            description = "--device cuda: the fraction of GPU memory Pagoda may use (default: 0.9)")
    Double gpuMemoryUtilization;

    @Option(names = "--gpu-memory-total", paramLabel = "SIZE|PRESET",
            description = "--device cuda: the GPU's memory, as 80G or a preset: h100-80gb, h200-141gb, a100-80gb, a100-40gb, l4-24gb (default: ${DEFAULT-VALUE})")
    String gpuMemoryTotal = "h100-80gb";

    @Option(names = "--num-gpu-blocks-override", paramLabel = "N", description = "KV-cache blocks, fixed; 0: from memory (default: ${DEFAULT-VALUE})")
    int numGpuBlocksOverride;

    @Option(names = "--dtype", paramLabel = "DTYPE",
            description = "the checkpoint's dtype, for weight bytes when there are no safetensors files: float32, bfloat16, float16 "
                    + "(default: config.json's torch_dtype)")
    String dtype;

    @Mixin
    EngineOptions engine;

    @Override
    public int run(InputStream in, PrintStream out, PrintStream err) {
        if (modelPositional != null && modelOption != null) throw new CliException("give the model once: MODEL or --model, not both");
        String modelArg = modelPositional != null ? modelPositional : modelOption;
        Path modelDir = modelArg != null ? Path.of(modelArg) : DefaultModel.path();
        if (!Files.isRegularFile(modelDir.resolve("config.json"))) {
            throw new CliException(modelDir + " has no config.json (explain-memory reads a local model directory; "
                    + "`./pagoda serve ORG/NAME` fetches a Hugging Face model into the HF cache)");
        }
        if (!device.equals("cpu") && !device.equals("cuda")) throw new CliException("--device must be cpu or cuda, got '" + device + "'");
        if (gpuMemoryUtilization != null && device.equals("cpu")) {
            throw new CliException("--gpu-memory-utilization is for --device cuda; on the CPU size the KV cache with --kv-cache-memory");
        }
        EngineConfig config = engine.toEngineConfig(numGpuBlocksOverride);
        ModelConfig model = ModelConfigParser.parse(modelDir.resolve("config.json"));
        DType checkpointDtype = dtype == null ? model.dtype() : parseDtype(dtype);
        if (config.maxModelLen() > model.maxPositionEmbeddings()) { // LlmEngine's check, in its words
            throw new CliException("max_model_len " + config.maxModelLen() + " exceeds the model's max_position_embeddings "
                    + model.maxPositionEmbeddings());
        }
        int maxModelLen = config.maxModelLen() > 0 ? config.maxModelLen() : model.maxPositionEmbeddings();
        int blockSize = config.blockSize();

        out.println("explain-memory: " + modelDir + ", device " + device + " (from config.json and safetensors headers; no weights read)");
        WeightBytes weights = WeightBytes.of(modelDir, model, checkpointDtype);
        out.println(String.format("weights: %s, %d layers, hidden %d, vocab %d, %.1f MiB of weights",
                model.architecture(), model.numHiddenLayers(), model.hiddenSize(), model.vocabSize(), weights.bytes() / (double) (1 << 20)));
        out.println("  (" + weights.source() + ")");

        boolean cuda = device.equals("cuda");
        long bytesPerBlock = cuda ? CudaMemoryEstimate.kvCacheBytesPerBlock(model, blockSize) : CpuBackend.kvCacheBytesPerBlock(model, blockSize);
        long bytesPerToken = bytesPerBlock / blockSize;
        out.println(String.format("KV cache per token: %d layers × 2 (K and V) × %d KV heads × %d head dims × %d B (%s) = %,d B",
                model.numHiddenLayers(), model.numKeyValueHeads(), model.headDim(), cuda ? 2 : 4, cuda ? "bf16 on the GPU" : "fp32 on the CPU",
                bytesPerToken));
        out.println(String.format("KV cache per block: %d tokens × %,d B = %,d B (%.1f KiB)", blockSize, bytesPerToken, bytesPerBlock,
                bytesPerBlock / 1024.0));
        int perSeq = BlockTable.blocksNeeded(maxModelLen, blockSize);
        out.println(String.format("one sequence of max_model_len %d tokens needs %d blocks", maxModelLen, perSeq));

        int numKvBlocks = config.numKvBlocks();
        if (cuda && numKvBlocks == 0) {
            GpuMemoryPlan plan = GpuEstimate.plan(model, config, maxModelLen, gpuMemoryUtilization, GpuPresets.bytes(gpuMemoryTotal), out);
            for (String line : plan.describe(blockSize, maxModelLen).split("\n")) out.println(line);
            numKvBlocks = plan.numBlocks();
        } else if (!cuda) {
            long useful = (long) config.maxNumSeqs() * perSeq;
            out.println(String.format("budget: --kv-cache-memory %.1f MiB holds %,d blocks; max_num_seqs %d × %d blocks caps it at %,d",
                    config.kvCacheMemoryBytes() / (double) (1 << 20), config.kvCacheMemoryBytes() / bytesPerBlock, config.maxNumSeqs(),
                    perSeq, useful));
        }
        KvCacheSizing sizing;
        try {
            sizing = KvCacheSizing.of(numKvBlocks, config.kvCacheMemoryBytes(), bytesPerBlock, blockSize, maxModelLen, config.maxNumSeqs());
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        // The two lines serve logs when the engine starts (PagodaServer), word for word.
        out.println("memory plan: " + sizing.describe());
        out.println(String.format("maximum concurrency for %d tokens per request: %.2fx", maxModelLen, sizing.maxConcurrency()));
        return 0;
    }

    private static DType parseDtype(String name) {
        try {
            return DType.fromTorchName(name);
        } catch (IllegalArgumentException e) {
            throw new CliException("--dtype must be float32, bfloat16 or float16, got '" + name + "'");
        }
    }
}
