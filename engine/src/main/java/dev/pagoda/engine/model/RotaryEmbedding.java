package dev.pagoda.engine.model;

/**
 * Rotary position embedding frequencies, shared by every backend so that they rotate alike.
 *
 * <p>Hugging Face's convention ("rotate half"): for head dimension {@code d} and pair index
 * {@code i < d/2}, elements {@code i} and {@code i + d/2} of a query or key are rotated by the angle
 * {@code position * invFreq[i]}. The frequencies are computed in fp32 exactly as transformers does
 * ({@code 1 / base^(float(2i) / d)}), so that angles, and hence logits, match it closely.
 */
public final class RotaryEmbedding {
    private RotaryEmbedding() {}

    /** {@code invFreq[headDim / 2]}: the rotation speed of each dimension pair, scaling applied. */
    public static float[] inverseFrequencies(int headDim, double ropeTheta, RopeScaling scaling) {
        float[] invFreq = new float[headDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            invFreq[i] = (float) (1.0 / (float) Math.pow(ropeTheta, exponent));
        }
        return switch (scaling) {
            case RopeScaling.None none -> invFreq;
            case RopeScaling.Llama3 llama3 -> applyLlama3Scaling(invFreq, llama3);
        };
    }

    /** transformers' {@code _compute_llama3_parameters}, step by step, in fp32. */
    private static float[] applyLlama3Scaling(float[] invFreq, RopeScaling.Llama3 s) {
        float factor = (float) s.factor();
        float lowFreqFactor = (float) s.lowFreqFactor();
        float highFreqFactor = (float) s.highFreqFactor();
        float oldContextLen = s.originalMaxPositionEmbeddings();
        float lowFreqWavelen = oldContextLen / lowFreqFactor;
        float highFreqWavelen = oldContextLen / highFreqFactor;
        float[] scaled = new float[invFreq.length];
        for (int i = 0; i < invFreq.length; i++) {
            float wavelen = (float) (2 * Math.PI) / invFreq[i];
            // Long wavelengths (low frequencies) are stretched by `factor`; short ones are kept.
            float f = wavelen > lowFreqWavelen ? invFreq[i] / factor : invFreq[i];
            boolean isMedium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (isMedium) {
                float smooth = (oldContextLen / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                f = (1 - smooth) * f / factor + smooth * f;
            }
            scaled[i] = f;
        }
        return scaled;
    }

    /** The rotation angle of pair {@code i} at {@code position}: an fp32 product, as transformers computes it. */
    public static float angle(float invFreq, int position) {
        return invFreq * (float) position;
    }
}
