package dev.pagoda.conformance.cuda;

import dev.pagoda.backend.cuda.ConformanceBatches;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Greedy decoding of stories260K on the GPU gives the CPU's tokens (which are llama2.c's, see
 * Stories260kGreedyTest): one prefill of the prompt, then one decode step per token, through a
 * scattered block table.
 */
@Tag("gpu")
class CudaStories260kGreedyTest {

    @Test
    void greedyOnCudaEqualsCpu() throws IOException {
        Path expectedFile = Fixtures.repo("conformance/src/test/resources/stories260k/expected-greedy.txt");
        int[] prompt = ids(Files.readAllLines(expectedFile), "prompt_ids:");
        int[] llama2c = ids(Files.readAllLines(expectedFile), "generated_ids");
        try (BackendPair pair = new BackendPair(Fixtures.stories260k())) {
            int blockSize = 16, total = prompt.length + llama2c.length;
            pair.resetCaches(32, blockSize);
            int[] table = ConformanceBatches.scatteredTables(new int[] {total}, blockSize, 32, 260).get(0);
            int[] cpu = greedy(pair.cpu, prompt, llama2c.length, blockSize, table);
            int[] cuda = greedy(pair.cuda, prompt, llama2c.length, blockSize, table);
            System.out.println("stories260K greedy on CUDA: " + Arrays.toString(cuda));
            assertArrayEquals(llama2c, cpu, "the CPU reference no longer matches llama2.c");
            assertArrayEquals(cpu, cuda, () -> "CUDA greedy ids differ from the CPU's\n cpu  " + Arrays.toString(cpu) + "\n cuda " + Arrays.toString(cuda));
        }
    }

    private static int[] greedy(ComputeBackend backend, int[] prompt, int count, int blockSize, int[] table) {
        int[] tokens = Arrays.copyOf(prompt, prompt.length + count);
        ConformanceBatches.Seq seq = new ConformanceBatches.Seq(tokens, table);
        int[] generated = new int[count];
        ForwardBatch prefill = ConformanceBatches.step(blockSize, List.of(seq), new int[] {0}, new int[] {prompt.length});
        Logits logits = backend.forward(prefill);
        int lastRow = prompt.length - 1;
        for (int i = 0; i < count; i++) {
            generated[i] = logits.argmax(lastRow);
            int position = prompt.length + i;
            tokens[position] = generated[i];
            if (i + 1 < count) {
                logits = backend.forward(ConformanceBatches.step(blockSize, List.of(seq), new int[] {position}, new int[] {1}));
                lastRow = 0;
            }
        }
        return generated;
    }

    private static int[] ids(List<String> lines, String prefix) {
        String line = lines.stream().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new IllegalStateException("expected-greedy.txt: no line starting with '" + prefix + "'"));
        return Arrays.stream(line.substring(line.indexOf(':') + 1).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
    }
}
