package dev.pagoda.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.model.RopeScaling;
import dev.pagoda.engine.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

class HugePagesTest {

    @Test
    void bigTensorsAreCopiedOntoAlignedMemorySmallOnesStay() {
        assumeTrue(HugePages.available(), "no transparent huge pages here");
        try (Arena arena = Arena.ofConfined()) {
            Tensor big = DummyWeights.random("big", arena, new long[] {7}, 1024, 1536); // 3 MiB of bf16
            Tensor small = DummyWeights.random("small", arena, new long[] {8}, 16, 16);
            MemorySegment copy;
            try (HugePages huge = new HugePages()) {
                Tensor placed = huge.place(big);
                assertNotSame(big, placed);
                assertEquals(big.name(), placed.name());
                assertArrayEquals(big.shape(), placed.shape());
                assertEquals(0, placed.data().address() % HugePages.PAGE, "starts on a 2 MiB boundary");
                assertEquals(-1, big.data().mismatch(placed.data()), "the same bytes");
                assertSame(small, huge.place(small));
                copy = placed.data();
            }
            assertFalse(copy.scope().isAlive());
            MemorySegment unmapped = copy;
            assertThrows(IllegalStateException.class, () -> unmapped.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
        }
    }

    /** A model whose embedding (tied lm_head) and MLP matrices are over 2 MiB: the copy changes no logit and keeps the tie. */
    @Test
    void sameLogitsOnHugePagesAndInPlace() {
        assumeTrue(HugePages.available(), "no transparent huge pages here");
        ModelConfig c = RandomModels.config(128, 8192, 2, 4, 2, 32, 8192, false, false, true, DType.BF16, new RopeScaling.None());
        try (Arena arena = Arena.ofShared();
             CpuBackend inPlace = new CpuBackend(new BackendOptions(2, false));
             CpuBackend huge = new CpuBackend(new BackendOptions(2, true));
             HugePages pages = new HugePages()) {
            ModelWeights w = RandomModels.weights(c, arena, 11);
            ModelWeights placed = pages.place(w);
            assertSame(placed.embedTokens(), placed.lmHead(), "a tied lm_head stays tied");
            assertNotSame(w.embedTokens(), placed.embedTokens());
            assertSame(w.layers().getFirst().qProj(), placed.layers().getFirst().qProj(), "under 2 MiB: read in place");
            for (CpuBackend b : List.of(inPlace, huge)) {
                b.loadModel(c, w);
                b.allocateKvCache(4, 16);
            }
            ForwardBatch prompt = new ForwardBatch(new int[] {5, 77, 1024, 8000}, new int[] {0, 1, 2, 3}, new int[] {0, 4}, new int[] {4},
                    new int[][] {{0}}, new int[] {0, 1, 2, 3}, new int[] {3});
            assertArrayEquals(inPlace.forward(prompt).row(0), huge.forward(prompt).row(0));
        }
    }
}
