package dev.pagoda.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.pagoda.backend.cpu.TestBatches.Step;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.RopeScaling;
import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A real trained model end to end: stories260K (TinyStories, GQA, tied embeddings) must greedily
 * generate exactly the ids of {@code expected-greedy.txt} (llama2.c's run.c, confirmed with
 * transformers), one prefill of the prompt and then decode steps through the paged cache.
 */
class Stories260kGreedyTest {

    @Test
    void greedyIdsMatchLlama2c() throws IOException {
        Path dir = Fixtures.shared("models/stories260k");
        ModelConfig c = config(Json.parseObject(Files.readString(dir.resolve("config.json"))));
        List<String> lines = Files.readAllLines(dir.resolve("expected-greedy.txt"));
        int[] prompt = ids(lines, "prompt_ids:");
        int[] expected = ids(lines, "generated_ids");
        int blockSize = 16;
        int total = prompt.length + expected.length;
        int[] blockTable = new int[(total + blockSize - 1) / blockSize];
        for (int i = 0; i < blockTable.length; i++) blockTable[i] = blockTable.length - 1 - i; // reversed: non-contiguous on purpose

        try (Arena arena = Arena.ofShared(); CpuBackend b = new CpuBackend(new BackendOptions(2))) {
            b.loadModel(c, TestSafetensors.weights(c, TestSafetensors.read(dir.resolve("model.safetensors"), arena)));
            b.allocateKvCache(blockTable.length, blockSize);
            int[] tokens = Arrays.copyOf(prompt, total);
            int[] generated = new int[expected.length];
            int known = prompt.length, computed = 0;
            for (int g = 0; g < expected.length; g++) {
                Logits logits = b.forward(TestBatches.batch(blockSize, List.of(new Step(tokens, blockTable, computed, known - computed))));
                generated[g] = logits.argmax(logits.numRows() - 1);
                computed = known;
                tokens[known++] = generated[g];
            }
            assertArrayEquals(expected, generated);
        }
    }

    private static int[] ids(List<String> lines, String prefix) {
        String line = lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow();
        return Arrays.stream(line.substring(line.indexOf(':') + 1).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
    }

    private static ModelConfig config(Map<String, Object> m) {
        int hidden = num(m, "hidden_size"), heads = num(m, "num_attention_heads");
        return new ModelConfig("LlamaForCausalLM", "llama", hidden, num(m, "intermediate_size"), num(m, "num_hidden_layers"),
                heads, num(m, "num_key_value_heads"), num(m, "head_dim"), num(m, "vocab_size"), num(m, "max_position_embeddings"),
                ((Number) m.get("rms_norm_eps")).doubleValue(), ((Number) m.get("rope_theta")).doubleValue(), new RopeScaling.None(),
                (Boolean) m.get("tie_word_embeddings"), false, false, DType.F32, 1, List.of(2));
    }

    private static int num(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).intValue();
    }
}
