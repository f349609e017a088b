package dev.pagoda.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FastExpTest {
    @Test
    void matchesMathExpToAFewUlpsWhereTheResultIsNormal() {
        double worst = 0;
        for (float x = 0f; x > -87f; x -= 0.000731f) {
            double expected = Math.exp(x);
            worst = Math.max(worst, Math.abs(FastExp.exp(x) - expected) / expected);
        }
        assertTrue(worst < 5e-7, "worst relative error " + worst);
        assertEquals(1f, FastExp.exp(0f));
    }

    @Test
    void underflowsToExactlyZero() {
        assertEquals(0f, FastExp.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, FastExp.exp(-88.5f));
        assertEquals(0f, FastExp.exp(-1e30f));
        assertTrue(FastExp.exp(-87f) > 0f, "the smallest normal results stay");
    }

    @Test
    void arrayFormGivesTheScalarBits() {
        Random r = new Random(1);
        int n = 10_007;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = i % 97 == 0 ? Float.NEGATIVE_INFINITY : (float) (20 * r.nextGaussian());
        float max = Float.NEGATIVE_INFINITY;
        for (float v : x) max = Math.max(max, v);
        float[] out = new float[n];
        FastExp.expShifted(x, n, max, out, new int[n]);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(FastExp.exp(x[i] - max)), Float.floatToRawIntBits(out[i]), "x = " + x[i]);
        }
    }
}
