package dev.pagoda.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FastExpTest {
    @Test
    void matchesMathExpToAFewUlpsOverTheWholeRange() {
        double worst = 0;
        for (float x = 0f; x > -87f; x -= 0.000731f) {
            double expected = Math.exp(x);
            worst = Math.max(worst, Math.abs(FastExp.exp(x) - expected) / expected);
        }
        assertTrue(worst < 4e-7, "worst relative error " + worst);
        assertEquals(1f, FastExp.exp(0f));
        assertEquals(0f, FastExp.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, FastExp.exp(-200f));
        assertEquals(0f, FastExp.exp(Float.NaN));
    }
}
