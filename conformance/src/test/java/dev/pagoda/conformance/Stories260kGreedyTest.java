package dev.pagoda.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Greedy decoding of the bundled stories260K on the CPU backend reproduces llama2.c's run.c token
 * for token (conformance/src/test/resources/stories260k/expected-greedy.txt): one prefill of the
 * prompt, then one decode step per generated token, through a scrambled block table.
 */
class Stories260kGreedyTest {

    /** The prompt and run.c's greedy continuation, as listed in expected-greedy.txt. */
    record Expected(int[] promptIds, int[] generatedIds) {
        static Expected read(Path file) throws IOException {
            List<String> lines = Files.readAllLines(file);
            return new Expected(ids(file, lines, "prompt_ids:"), ids(file, lines, "generated_ids"));
        }

        private static int[] ids(Path file, List<String> lines, String prefix) {
            String line = lines.stream().filter(l -> l.startsWith(prefix)).findFirst()
                    .orElseThrow(() -> new IllegalStateException(file + ": no line starting with '" + prefix + "'"));
            String[] parts = line.substring(line.indexOf(':') + 1).trim().split("\\s+");
            return Arrays.stream(parts).mapToInt(Integer::parseInt).toArray();
        }
    }

    @Test
    void greedyDecodeMatchesLlama2c() throws IOException {
        Expected expected = Expected.read(Fixtures.repo(LogitGolden.RESOURCES + "stories260k/expected-greedy.txt"));
        assertEquals(96, expected.generatedIds().length, "expected-greedy.txt: run.c -n 100 with a 5-token prompt generates 96");

        int[] prompt = expected.promptIds();
        int total = prompt.length + expected.generatedIds().length;
        int[] tokens = Arrays.copyOf(prompt, total); // [total] the prompt, then each token as it is chosen
        int[] generated = new int[expected.generatedIds().length];
        try (CpuSequenceRunner runner = new CpuSequenceRunner(Fixtures.stories260k(), 16, total, 260)) {
            // Prefill: the whole prompt in one step; only the last row's logits are needed.
            Logits logits = runner.forward(runner.batches().step(tokens, 0, prompt.length, false));
            for (int i = 0; i < generated.length; i++) {
                generated[i] = logits.argmax(0);
                int position = prompt.length + i;
                tokens[position] = generated[i];
                if (i + 1 < generated.length) logits = runner.forward(runner.batches().step(tokens, position, 1, false));
            }
        }
        assertArrayEquals(expected.generatedIds(), generated,
                () -> "greedy ids differ from llama2.c's\n expected " + Arrays.toString(expected.generatedIds())
                        + "\n actual   " + Arrays.toString(generated));
    }
}
