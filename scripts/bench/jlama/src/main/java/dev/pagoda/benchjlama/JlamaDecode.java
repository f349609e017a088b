package dev.pagoda.benchjlama;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.UUID;

/**
 * Jlama's single-stream greedy decode on a model directory, timed by Jlama itself
 * ({@code Generator.Response}: prompt time, generate time, tokens):
 * {@code JlamaDecode MODEL_DIR PROMPT_FILE NEW_TOKENS RUNS WORKING_DTYPE QUANT_DTYPE}. One untimed
 * warm-up generation, then RUNS timed ones; prints one JSON line per timed run.
 */
public final class JlamaDecode {
    public static void main(String[] args) throws Exception {
        File model = new File(args[0]);
        String prompt = Files.readString(Path.of(args[1]));
        int newTokens = Integer.parseInt(args[2]), runs = Integer.parseInt(args[3]);
        DType working = DType.valueOf(args[4]), quant = DType.valueOf(args[5]);
        long t0 = System.nanoTime();
        AbstractModel m = ModelSupport.loadModel(model, working, quant);
        System.err.printf("jlama: loaded %s in %.1f s (working memory %s, working quantization %s)%n", model, (System.nanoTime() - t0) / 1e9,
                working, quant);
        // Jlama's ntokens bounds the whole sequence (prompt + generated), so add the prompt's length.
        int promptTokens = m.getTokenizer().encode(prompt).length;
        m.generate(UUID.randomUUID(), PromptContext.of(prompt), 0.0f, promptTokens + 16, (s, f) -> {});
        for (int i = 0; i < runs; i++) {
            Generator.Response r = m.generate(UUID.randomUUID(), PromptContext.of(prompt), 0.0f, promptTokens + newTokens, (s, f) -> {});
            System.out.printf(Locale.ROOT,
                    "{\"engine\":\"jlama\",\"prompt_tokens\":%d,\"generated_tokens\":%d,\"prompt_ms\":%d,\"generate_ms\":%d,"
                            + "\"decode_tokens_per_second\":%.3f,\"finish_reason\":\"%s\"}%n",
                    r.promptTokens, r.generatedTokens, r.promptTimeMs, r.generateTimeMs,
                    r.generateTimeMs > 0 ? r.generatedTokens * 1000.0 / r.generateTimeMs : 0.0, r.finishReason);
        }
        System.exit(0); // Jlama's worker threads are not daemons
    }
}
