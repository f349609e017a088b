package dev.pagoda.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** PersistentDecode's choice, on the real shapes it was measured with (no GPU needed). */
class PersistentDecodeTest {

    @Test
    void layerWeightBytesCountEveryProjection() {
        // Qwen2.5-0.5B: q 896 + k 128 + v 128 rows of 896, o 896×896, gate + up + down 3 × 896×4864, bf16.
        assertEquals(2L * (896L * 1152 + 896L * 896 + 3L * 896 * 4864), PersistentDecode.layerWeightBytes(CudaDecodeBenchmark.QWEN_05B));
        // Llama-3-8B: 436 MB a layer.
        assertEquals(2L * (4096L * 6144 + 4096L * 4096 + 3L * 4096 * 14336), PersistentDecode.layerWeightBytes(CudaDecodeBenchmark.LLAMA3_8B));
    }

    @Test
    void autoPicksThePersistentKernelOnlyForLargeLayers() {
        assertFalse(PersistentDecode.AUTO.uses(CudaDecodeBenchmark.QWEN_05B));
        assertFalse(PersistentDecode.AUTO.uses(CudaDecodeBenchmark.QWEN_15B));
        assertFalse(PersistentDecode.AUTO.uses(CudaDecodeBenchmark.QWEN_3B));
        assertTrue(PersistentDecode.AUTO.uses(CudaDecodeBenchmark.LLAMA3_8B));
        assertTrue(PersistentDecode.ON.uses(CudaDecodeBenchmark.QWEN_05B));
        assertFalse(PersistentDecode.OFF.uses(CudaDecodeBenchmark.LLAMA3_8B));
    }

    @Test
    void systemPropertyNamesTheMode() {
        String key = "pagoda.cuda.persistentDecode";
        try {
            System.clearProperty(key);
            assertEquals(PersistentDecode.AUTO, PersistentDecode.fromSystemProperty());
            System.setProperty(key, "false");
            assertEquals(PersistentDecode.OFF, PersistentDecode.fromSystemProperty());
            System.setProperty(key, "ON");
            assertEquals(PersistentDecode.ON, PersistentDecode.fromSystemProperty());
            System.setProperty(key, "sometimes");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, PersistentDecode::fromSystemProperty);
            assertTrue(e.getMessage().contains("auto, on or off"), e.getMessage());
        } finally {
            System.clearProperty(key);
        }
    }
}
