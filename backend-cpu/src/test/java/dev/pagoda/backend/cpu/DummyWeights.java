package dev.pagoda.backend.cpu;

import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.DecoderLayerWeights;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.model.RopeScaling;
import dev.pagoda.engine.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Random bf16 weights of a real model's shape, off-heap, filled fast (a 1 GB model in well under a
 * second): every bf16 value is a random sign, a random 7-bit mantissa and an exponent giving a
 * magnitude of about 0.004 to 0.03, like trained weights. Norm weights are exactly 1.
 */
public final class DummyWeights {
    private DummyWeights() {}

    /** Qwen2.5-0.5B's shape: hidden 896, intermediate 4864, 24 layers, 14 heads, 2 kv heads, head_dim 64, vocab 151936, tied, q/k/v bias. */
    public static ModelConfig qwen25_05b() {
        return new ModelConfig("Qwen2ForCausalLM", "qwen2", 896, 4864, 24, 14, 2, 64, 151936, 32768, 1e-6, 1_000_000.0,
                new RopeScaling.None(), true, true, false, DType.BF16, -1, List.of(151643));
    }

    public static ModelWeights bf16(ModelConfig c, Arena arena, long seed) {
        long[] state = {seed * 0x9E3779B97F4A7C15L + 1};
        int h = c.hiddenSize(), i = c.intermediateSize();
        Tensor embed = random("model.embed_tokens.weight", arena, state, c.vocabSize(), h);
        List<DecoderLayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            layers.add(new DecoderLayerWeights(
                    ones(p + "input_layernorm.weight", arena, h),
                    random(p + "self_attn.q_proj.weight", arena, state, c.qSize(), h),
                    random(p + "self_attn.k_proj.weight", arena, state, c.kvSize(), h),
                    random(p + "self_attn.v_proj.weight", arena, state, c.kvSize(), h),
                    c.attentionBias() ? Optional.of(random(p + "self_attn.q_proj.bias", arena, state, c.qSize())) : Optional.empty(),
                    c.attentionBias() ? Optional.of(random(p + "self_attn.k_proj.bias", arena, state, c.kvSize())) : Optional.empty(),
                    c.attentionBias() ? Optional.of(random(p + "self_attn.v_proj.bias", arena, state, c.kvSize())) : Optional.empty(),
                    c.qkNorm() ? Optional.of(ones(p + "self_attn.q_norm.weight", arena, c.headDim())) : Optional.empty(),
                    c.qkNorm() ? Optional.of(ones(p + "self_attn.k_norm.weight", arena, c.headDim())) : Optional.empty(),
                    random(p + "self_attn.o_proj.weight", arena, state, h, c.qSize()),
                    ones(p + "post_attention_layernorm.weight", arena, h),
                    random(p + "mlp.gate_proj.weight", arena, state, i, h),
                    random(p + "mlp.up_proj.weight", arena, state, i, h),
                    random(p + "mlp.down_proj.weight", arena, state, h, i)));
        }
        Tensor lmHead = c.tieWordEmbeddings() ? embed : random("lm_head.weight", arena, state, c.vocabSize(), h);
        return new ModelWeights(embed, layers, ones("model.norm.weight", arena, h), lmHead);
    }

    public static Tensor random(String name, Arena arena, long[] state, long... shape) {
        long n = Tensor.numElements(shape);
        MemorySegment seg = arena.allocate(n * 2, 64);
        long x = state[0];
        for (long k = 0; k < n / 4; k++) {
            x ^= x << 13; x ^= x >>> 7; x ^= x << 17; // xorshift64
            seg.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, k, bf16x4(x));
        }
        for (long k = n / 4 * 4; k < n; k++) seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, k, (short) bf16x4(x + k));
        state[0] = x;
        return new Tensor(name, DType.BF16, shape, seg);
    }

    /** Four bf16 values from 64 random bits: keep sign and mantissa bits, force the exponent into 2^-8 .. 2^-6. */
    private static long bf16x4(long bits) {
        long exponentMask = 0x7F80_7F80_7F80_7F80L;
        long exponents = ((bits >>> 7) & 0x0001_0001_0001_0001L) * 0x80L + 0x3B80_3B80_3B80_3B80L; // 119 or 120
        return (bits & ~exponentMask) | (exponents & exponentMask);
    }

    static Tensor ones(String name, Arena arena, int n) {
        MemorySegment seg = arena.allocate(n * 2L, 64);
        for (int k = 0; k < n; k++) seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, k, (short) 0x3F80); // 1.0 in bf16
        return new Tensor(name, DType.BF16, new long[] {n}, seg);
    }
}
