package dev.pagoda.cli;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.kvcache.BlockTable;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.offline.SingleSequenceRunner;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * {@code ./pagoda generate --prompt TEXT}: completes a prompt and prints the generated text,
 * streaming it as it is decoded. Greedy decoding of one sequence; batching, sampling and the
 * engine loop come with the engine core.
 */
final class GenerateCommand implements Command {
    private static final int BLOCK_SIZE = 16;

    @Override
    public String summary() {
        return "complete a prompt with a model (default: the bundled stories260K) and print the text";
    }

    @Override
    public int run(CliArgs args, InputStream in, PrintStream out, PrintStream err) {
        String prompt = args.required("prompt");
        String modelArg = args.string("model", null);
        int maxTokens = args.integer("max-tokens", 256);
        double temperature = args.decimal("temperature", 0.0);
        LoadFormat loadFormat = loadFormat(args.string("load-format", "safetensors"));
        String backendName = args.string("backend", "cpu");
        int threads = args.integer("threads", 0);
        args.checkAllUsed();
        if (maxTokens < 1) throw new CliException("--max-tokens must be at least 1");
        Path modelDir = modelArg != null ? Path.of(modelArg) : DefaultModel.path();
        if (temperature != 0.0) {
            throw new CliException("only greedy decoding (--temperature 0) is available until the sampler lands");
        }

        try (LoadedModel model = ModelLoader.load(modelDir, loadFormat);
                ComputeBackend backend = ComputeBackends.create(backendName, new BackendOptions(threads))) {
            Tokenizer tokenizer = Tokenizer.fromDirectory(modelDir);
            int[] promptIds = tokenizer.encode(prompt, true);
            int maxModelLen = model.config().maxPositionEmbeddings();
            if (promptIds.length >= maxModelLen) {
                throw new CliException("the prompt has " + promptIds.length + " tokens; the model's context is " + maxModelLen);
            }
            maxTokens = Math.min(maxTokens, maxModelLen - promptIds.length);
            int maxSeqLen = promptIds.length + maxTokens;

            backend.loadModel(model.config(), model.weights());
            int numBlocks = BlockTable.blocksNeeded(maxSeqLen, BLOCK_SIZE);
            backend.allocateKvCache(numBlocks, BLOCK_SIZE);
            int[] blockIds = new int[numBlocks];
            for (int i = 0; i < numBlocks; i++) blockIds[i] = i;
            SingleSequenceRunner runner = new SingleSequenceRunner(backend, new BlockTable(BLOCK_SIZE, blockIds));

            Set<Integer> stopTokenIds = new HashSet<>(model.generationConfig().stopTokenIds(model.config()));
            stopTokenIds.addAll(tokenizer.eosTokenIds());
            TextStream text = new TextStream(tokenizer);

            Logits logits = runner.append(promptIds, false);
            for (int generated = 1; generated <= maxTokens; generated++) {
                int next = logits.argmax(0);
                if (stopTokenIds.contains(next)) break;
                out.print(text.append(next));
                out.flush();
                if (generated == maxTokens) break; // the last token needs no forward pass of its own
                logits = runner.append(new int[] {next}, false);
            }
            out.println();
        }
        return 0;
    }

    private static LoadFormat loadFormat(String value) {
        try {
            return LoadFormat.fromCli(value);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }
}
