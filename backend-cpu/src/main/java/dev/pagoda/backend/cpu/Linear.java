package dev.pagoda.backend.cpu;

import dev.pagoda.engine.model.Tensor;

/**
 * A linear layer {@code y = x · Wᵀ + b}, with the weight read in place from the checkpoint.
 *
 * @param weight      {@code [outFeatures, inFeatures]} (PyTorch layout), F32/BF16/F16
 * @param bias        {@code [outFeatures]} widened to fp32, or {@code null} (most layers have none)
 * @param inFeatures  columns of {@code weight}
 * @param outFeatures rows of {@code weight}
 */
record Linear(Tensor weight, float[] bias, int inFeatures, int outFeatures) {

    /** Wraps {@code weight}, checking it is {@code [outFeatures, inFeatures]}. */
    static Linear of(Tensor weight, float[] bias, int outFeatures, int inFeatures) {
        if (weight.rank() != 2 || weight.dim(0) != outFeatures || weight.dim(1) != inFeatures) {
            throw new IllegalArgumentException("tensor " + weight + ": expected shape [" + outFeatures + ", " + inFeatures + "]");
        }
        if (bias != null && bias.length != outFeatures) {
            throw new IllegalArgumentException("bias of " + weight.name() + ": expected " + outFeatures + " values, got " + bias.length);
        }
        return new Linear(weight, bias, inFeatures, outFeatures);
    }

    /** Bytes of weights one pass over this layer reads. */
    long weightBytes() {
        return weight.data().byteSize();
    }
}
