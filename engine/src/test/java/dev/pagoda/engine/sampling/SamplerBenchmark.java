package dev.pagoda.engine.sampling;

import dev.pagoda.engine.backend.Logits;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One {@link Sampler#sample} call over a decode batch with a Qwen2.5-sized vocabulary. Run:
 * {@code java -cp <engine test classpath> org.openjdk.jmh.Main SamplerBenchmark} (see
 * docs/benchmarks-sampler.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SamplerBenchmark {
    @Param({"151936"})
    public int vocabSize;

    @Param({"64"})
    public int batch;

    @Param({"1"})
    public int threads;

    @Param({"greedy", "random", "topk50_topp0.9", "topp0.9", "penalties_topp0.9", "logprobs5"})
    public String mode;

    private Logits logits;
    private List<SamplingRow> rows;
    private Sampler sampler;

    @Setup
    public void setup() {
        Random r = new Random(1);
        float[] values = new float[batch * vocabSize];
        for (int i = 0; i < values.length; i++) values[i] = (float) (2.5 * r.nextGaussian());
        logits = new Logits(batch, vocabSize, values);
        SamplingParams p = switch (mode) {
            case "greedy" -> SamplingParams.builder().temperature(0).build();
            case "random" -> SamplingParams.builder().temperature(1.0).build();
            case "topk50_topp0.9" -> SamplingParams.builder().temperature(0.7).topK(50).topP(0.9).build();
            case "topp0.9" -> SamplingParams.builder().temperature(0.7).topP(0.9).build();
            case "penalties_topp0.9" -> SamplingParams.builder().temperature(0.7).topP(0.9).repetitionPenalty(1.1)
                    .presencePenalty(0.5).frequencyPenalty(0.5).build();
            case "logprobs5" -> SamplingParams.builder().temperature(0.7).logprobs(5).build();
            default -> throw new IllegalArgumentException(mode);
        };
        int[] prompt = r.ints(512, 0, vocabSize).toArray();
        int[] output = r.ints(256, 0, vocabSize).toArray();
        rows = new ArrayList<>();
        for (int i = 0; i < batch; i++) rows.add(new SamplingRow(p, prompt, output));
        sampler = new Sampler(List.of(), 1, threads);
    }

    @org.openjdk.jmh.annotations.TearDown
    public void tearDown() {
        sampler.close();
    }

    @Benchmark
    public SampledTokens sample() {
        return sampler.sample(logits, rows);
    }
}
