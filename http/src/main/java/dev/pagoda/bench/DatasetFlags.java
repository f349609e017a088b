package dev.pagoda.bench;

import dev.pagoda.cli.CliException;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Which prompts a benchmark sends (vLLM's dataset flags): {@code random} token prompts or real text
 * from the {@code sotu} corpus, their count and lengths. Every request generates exactly its output
 * length ({@code ignore_eos}).
 */
public final class DatasetFlags {
    @Option(names = "--dataset", paramLabel = "NAME", description = "random (token ids) or sotu (State of the Union text) (default: ${DEFAULT-VALUE})")
    String dataset = "random";

    @Option(names = "--dataset-path", paramLabel = "DIR", description = "--dataset sotu: the corpus directory (default: ~/.cache/pagoda-fixtures/corpus/sotu)")
    Path datasetPath;

    @Option(names = "--num-prompts", paramLabel = "N", description = "requests to send (default: ${DEFAULT-VALUE})")
    int numPrompts = 100;

    @Option(names = "--input-len", paramLabel = "TOKENS", description = "prompt tokens per request (default: ${DEFAULT-VALUE})")
    int inputLen = 128;

    @Option(names = "--output-len", paramLabel = "TOKENS", description = "generated tokens per request (default: ${DEFAULT-VALUE})")
    int outputLen = 128;

    @Option(names = "--range-ratio", paramLabel = "R",
            description = "lengths drawn uniformly from [len×(1−R), len×(1+R)] (default: ${DEFAULT-VALUE})")
    double rangeRatio = 0.0;

    @Option(names = "--seed", paramLabel = "N", description = "seed of the dataset and the arrival times (default: ${DEFAULT-VALUE})")
    long seed;

    /** {@code numPrompts} requests of this dataset. */
    List<BenchRequest> sample(int numPrompts, Tokenizer tokenizer, int vocabSize, long seed) {
        try {
            return switch (dataset) {
                case "random" -> RandomDataset.sample(numPrompts, inputLen, outputLen, rangeRatio, vocabSize, seed);
                case "sotu" -> SotuDataset.sample(datasetPath != null ? datasetPath : SotuDataset.defaultPath(), tokenizer, numPrompts,
                        inputLen, outputLen, rangeRatio, seed);
                default -> throw new CliException("--dataset must be random or sotu, got '" + dataset + "'");
            };
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }

    String describe() {
        return dataset + ", input " + inputLen + ", output " + outputLen + (rangeRatio > 0 ? ", range ratio " + rangeRatio : "");
    }
}
