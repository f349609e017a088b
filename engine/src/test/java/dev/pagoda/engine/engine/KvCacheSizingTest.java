package dev.pagoda.engine.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KvCacheSizingTest {
    // Qwen2.5-0.5B in the fp32 CPU cache: 24 layers × (K + V) × 2 KV heads × 64 dims × 4 B × 16 tokens.
    private static final long QWEN_BLOCK = 24L * 2 * 2 * 64 * 4 * 16;

    @Test
    void theWorkedExampleOfTheClassComment() {
        KvCacheSizing s = KvCacheSizing.of(0, 512L << 20, QWEN_BLOCK, 16, 32768, 256);
        assertEquals(393216, QWEN_BLOCK);
        assertEquals(1365, s.numBlocks());
        assertEquals(0.67, s.maxConcurrency(), 0.005);
        assertTrue(s.describe().contains("1365 blocks of 16 tokens"), s.describe());
        assertTrue(s.describe().contains("0.67 sequences of max_model_len 32768"), s.describe());
    }

    @Test
    void aBudgetIsCappedAtWhatMaxNumSeqsFullSequencesCanUse() {
        KvCacheSizing s = KvCacheSizing.of(0, 1L << 40, 1024, 16, 512, 4);
        assertEquals(4 * 32, s.numBlocks());
        assertEquals(4.0, s.maxConcurrency());
    }

    @Test
    void aFixedBlockCountWinsAndATooSmallBudgetIsAnError() {
        assertEquals(7, KvCacheSizing.of(7, 1, 1024, 16, 512, 4).numBlocks());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KvCacheSizing.of(0, 1000, 1024, 16, 512, 4));
        assertTrue(e.getMessage().contains("raise --kv-cache-memory"), e.getMessage());
    }
}
