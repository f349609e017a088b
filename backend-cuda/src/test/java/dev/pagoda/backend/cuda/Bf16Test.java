package dev.pagoda.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** fp32 → bf16 rounding, as PyTorch does it (no GPU needed). */
class Bf16Test {
    @Test
    void roundsToNearestEven() {
        assertEquals((short) 0x3f80, Bf16.fromFloat(1.0f));
        // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties go to the even mantissa (1.0).
        assertEquals((short) 0x3f80, Bf16.fromFloat(1.0f + 0x1p-8f));
        // 1 + 3 * 2^-8 is halfway between 1.0078125 (odd) and 1.015625 (even): rounds up.
        assertEquals((short) 0x3f82, Bf16.fromFloat(1.0f + 3 * 0x1p-8f));
        assertEquals(-2.5f, Bf16.toFloat(Bf16.fromFloat(-2.5f)));
        assertTrue(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.NaN))));
        assertEquals(Float.POSITIVE_INFINITY, Bf16.toFloat(Bf16.fromFloat(Float.POSITIVE_INFINITY)));
    }

    @Test
    void relativeErrorIsAtMostHalfAnUlp() {
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < 10_000; i++) {
            float x = (float) r.nextGaussian() * 10;
            float y = Bf16.toFloat(Bf16.fromFloat(x));
            assertTrue(Math.abs(y - x) <= Math.abs(x) * 0x1p-8f, x + " → " + y);
        }
    }
}
