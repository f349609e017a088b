package dev.pagoda.engine.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Encode throughput on the whole SOTU corpus (233 addresses, 11 MB), one address per call,
 * single-threaded: our tokenizer next to Hugging Face's Rust tokenizer through DJL, in the same run.
 * One operation encodes the whole corpus; MB/s = corpus bytes / seconds per operation. Our per-word
 * cache is warm after the first pass ({@code pagoda}); {@code pagodaColdCache} empties it first.
 *
 * <p>Run: see docs/benchmarks-tok.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
public class TokenizerEncodeBenchmark {
    @Param({"gpt2", "llama3_1", "qwen3", "mistral_nemo", "mistral_7b_v0_1", "gemma3"})
    public String tokenizer;

    private List<String> corpus;
    private Tokenizer ours;
    private HuggingFaceTokenizer theirs;

    @Setup
    public void setup() throws IOException {
        corpus = SotuCorpusTest.corpus();
        ours = HfOracle.ours(tokenizer);
        theirs = HfOracle.theirs(tokenizer);
        long bytes = corpus.stream().mapToLong(s -> s.getBytes(StandardCharsets.UTF_8).length).sum();
        System.out.println("corpus: " + corpus.size() + " texts, " + bytes + " UTF-8 bytes");
    }

    @Benchmark
    public void pagoda(Blackhole bh) {
        for (String text : corpus) bh.consume(ours.encode(text, false));
    }

    /** As {@link #pagoda}, but with the per-word cache emptied first: every word is merged again. */
    @Benchmark
    public void pagodaColdCache(Blackhole bh) {
        ours.clearCache();
        for (String text : corpus) bh.consume(ours.encode(text, false));
    }

    @Benchmark
    public void djl(Blackhole bh) {
        for (String text : corpus) bh.consume(theirs.encode(text, false, false).getIds());
    }
}
