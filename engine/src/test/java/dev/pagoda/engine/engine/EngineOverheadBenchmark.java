package dev.pagoda.engine.engine;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.DeviceSampler;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.GenerationConfig;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelConfigParser;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.sampling.SampledTokens;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.SamplingRow;
import dev.pagoda.engine.sampling.TokenLogprobs;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The engine's own host time per step, with the model taken out: a backend that samples "on the
 * device" in no time (the shape of the CUDA path, where the engine thread's work is time the GPU
 * waits), the Qwen2.5-0.5B config and the real Qwen2.5 tokenizer (detokenizing is part of the cost).
 * B requests of P random prompt tokens decode greedily, all at once; the table gives µs per decode
 * step of scheduling, the "forward" (building the ForwardBatch and sampling rows), and the update
 * (appending tokens, detokenizing, stop checks, outputs), from each {@link StepOutput}'s clocks.
 * Not a unit test: run by hand, numbers go to docs/benchmarks-engine.md.
 *
 * <pre>
 *   ./pagoda mvn -q -B -pl engine test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 *   java -cp engine/target/test-classes:engine/target/classes:$(cat /tmp/cp.txt) \
 *     dev.pagoda.engine.engine.EngineOverheadBenchmark [promptLen] [outputLen] [rounds] [batch...]
 * </pre>
 */
public final class EngineOverheadBenchmark {
    public static void main(String[] args) {
        int promptLen = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        int outputLen = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int[] batches = args.length > 3 ? Arrays.stream(args, 3, args.length).mapToInt(Integer::parseInt).toArray() : new int[] {1, 64, 256};
        ModelConfig config = ModelConfigParser.parse(Fixtures.repo("engine/src/test/resources/dev/pagoda/engine/model/configs/qwen2.5-0.5b-instruct.json"));
        Tokenizer tokenizer = Tokenizer.fromDirectory(Fixtures.fetched("tokenizers/qwen2_5"));
        System.out.printf("engine host time per decode step (µs), Qwen2.5-0.5B config and tokenizer, prompt %d, output %d, instant device sampler; %d cores%n",
                promptLen, outputLen, Runtime.getRuntime().availableProcessors());
        for (int b : batches) {
            for (int round = 0; round < rounds; round++) {
                double[] us = run(config, tokenizer, b, promptLen, outputLen, round);
                System.out.printf("batch %3d round %d: schedule %8.1f, forward %8.1f, update %8.1f, total %8.1f = %6.2f µs per token%n",
                        b, round, us[0], us[1], us[2], us[0] + us[1] + us[2], (us[0] + us[1] + us[2]) / b);
            }
        }
    }

    /** Mean µs per pure decode step: {schedule, forward, update}. */
    static double[] run(ModelConfig config, Tokenizer tokenizer, int batch, int promptLen, int outputLen, int seed) {
        int vocab = Math.min(config.vocabSize(), tokenizer.vocabSize());
        int blockSize = 16, blocksPerSeq = (promptLen + outputLen) / blockSize + 2;
        EngineConfig engineConfig = EngineConfig.defaults().withBlockSize(blockSize).withNumKvBlocks(batch * blocksPerSeq)
                .withMaxNumSeqs(batch).withMaxNumBatchedTokens(Math.max(8192, promptLen)).withMaxModelLen(promptLen + outputLen);
        LlmEngine engine = new LlmEngine(new InstantBackend(vocab), config, GenerationConfig.fromModelConfig(config), tokenizer, engineConfig);
        Random rnd = new Random(seed);
        SamplingParams params = SamplingParams.builder().temperature(0).maxTokens(outputLen).ignoreEos(true).build();
        for (int r = 0; r < batch; r++) {
            int[] prompt = new int[promptLen];
            for (int i = 0; i < promptLen; i++) prompt[i] = rnd.nextInt(Math.min(vocab, 100_000));
            engine.addRequest("r" + r, prompt, params, 0);
        }
        long steps = 0, schedule = 0, forward = 0, update = 0;
        while (engine.hasUnfinishedRequests()) {
            StepOutput s = engine.step();
            if (s.numSeqs() == 0 || s.numBatchedTokens() != s.numSeqs()) continue;
            steps++;
            schedule += s.scheduleNanos();
            forward += s.forwardNanos();
            update += s.sampleNanos();
        }
        double n = Math.max(1, steps) * 1e3;
        return new double[] {schedule / n, forward / n, update / n};
    }

    /** Samples "on the device" in no time: token = a mix of the position and the previous token, no logits. */
    static final class InstantBackend implements ComputeBackend, DeviceSampler {
        private final int vocabSize;

        InstantBackend(int vocabSize) {
            this.vocabSize = vocabSize;
        }

        @Override public String name() { return "instant"; }
        @Override public void loadModel(ModelConfig config, ModelWeights weights) {}
        @Override public long kvCacheBytesPerBlock(int blockSize) { return 1; }
        @Override public void allocateKvCache(int numBlocks, int blockSize) {}
        @Override public void close() {}
        @Override public Logits forward(ForwardBatch batch) { throw new UnsupportedOperationException("samples on the device"); }
        @Override public java.util.Optional<DeviceSampler> deviceSampler() { return java.util.Optional.of(this); }
        @Override public boolean supports(List<SamplingRow> rows) { return true; }

        @Override
        public SampledTokens forwardAndSample(ForwardBatch batch, List<SamplingRow> rows, double[] uniforms, Set<Integer> eosTokenIds) {
            int[] ids = new int[rows.size()];
            for (int i = 0; i < ids.length; i++) {
                int row = batch.logitsIndices()[i];
                ids[i] = Math.floorMod(batch.tokenIds()[row] * 31 + batch.positions()[row] * 7919, Math.min(vocabSize, 100_000));
            }
            return new SampledTokens(ids, new TokenLogprobs[ids.length]);
        }
    }

    private EngineOverheadBenchmark() {}
}
