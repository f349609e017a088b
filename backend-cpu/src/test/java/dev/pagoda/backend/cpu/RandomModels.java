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
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Small Llama-family models with seeded random weights, built in memory (Arena-allocated
 * {@link Tensor}s) so backend tests need neither files nor the model loader.
 */
final class RandomModels {
    private RandomModels() {}

    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort S16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A config with the given shape; family flags say Llama ({@code false, false}), Qwen2 (bias) or Qwen3 (qkNorm). */
    static ModelConfig config(int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim, int vocab,
                              boolean attentionBias, boolean qkNorm, boolean tied, DType dtype, RopeScaling scaling) {
        String arch = qkNorm ? "Qwen3ForCausalLM" : attentionBias ? "Qwen2ForCausalLM" : "LlamaForCausalLM";
        String type = qkNorm ? "qwen3" : attentionBias ? "qwen2" : "llama";
        return new ModelConfig(arch, type, hidden, intermediate, layers, heads, kvHeads, headDim, vocab, 4096,
                1e-6, 10000.0, scaling, tied, attentionBias, qkNorm, dtype, 1, List.of(2));
    }

    /** A small GQA Llama in bf16. */
    static ModelConfig tinyLlama() {
        return config(64, 96, 2, 4, 2, 16, 101, false, false, false, DType.BF16, new RopeScaling.None());
    }

    /** Weights for {@code c}, each tensor filled from {@code seed}; norm weights near 1, matrices ~ U(-1,1)/sqrt(in). */
    static ModelWeights weights(ModelConfig c, Arena arena, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int h = c.hiddenSize(), i = c.intermediateSize();
        DType d = c.dtype();
        Tensor embed = matrix("model.embed_tokens.weight", d, c.vocabSize(), h, 1.0f, arena, rnd);
        List<DecoderLayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            layers.add(new DecoderLayerWeights(
                    norm(p + "input_layernorm.weight", d, h, arena, rnd),
                    matrix(p + "self_attn.q_proj.weight", d, c.qSize(), h, 1f / (float) Math.sqrt(h), arena, rnd),
                    matrix(p + "self_attn.k_proj.weight", d, c.kvSize(), h, 1f / (float) Math.sqrt(h), arena, rnd),
                    matrix(p + "self_attn.v_proj.weight", d, c.kvSize(), h, 1f / (float) Math.sqrt(h), arena, rnd),
                    c.attentionBias() ? Optional.of(vector(p + "self_attn.q_proj.bias", d, c.qSize(), 0f, 0.5f, arena, rnd)) : Optional.empty(),
                    c.attentionBias() ? Optional.of(vector(p + "self_attn.k_proj.bias", d, c.kvSize(), 0f, 0.5f, arena, rnd)) : Optional.empty(),
                    c.attentionBias() ? Optional.of(vector(p + "self_attn.v_proj.bias", d, c.kvSize(), 0f, 0.5f, arena, rnd)) : Optional.empty(),
                    c.qkNorm() ? Optional.of(norm(p + "self_attn.q_norm.weight", d, c.headDim(), arena, rnd)) : Optional.empty(),
                    c.qkNorm() ? Optional.of(norm(p + "self_attn.k_norm.weight", d, c.headDim(), arena, rnd)) : Optional.empty(),
                    matrix(p + "self_attn.o_proj.weight", d, h, c.qSize(), 1f / (float) Math.sqrt(c.qSize()), arena, rnd),
                    norm(p + "post_attention_layernorm.weight", d, h, arena, rnd),
                    matrix(p + "mlp.gate_proj.weight", d, i, h, 1f / (float) Math.sqrt(h), arena, rnd),
                    matrix(p + "mlp.up_proj.weight", d, i, h, 1f / (float) Math.sqrt(h), arena, rnd),
                    matrix(p + "mlp.down_proj.weight", d, h, i, 1f / (float) Math.sqrt(i), arena, rnd)));
        }
        Tensor norm = norm("model.norm.weight", d, h, arena, rnd);
        Tensor lmHead = c.tieWordEmbeddings() ? embed : matrix("lm_head.weight", d, c.vocabSize(), h, 1f / (float) Math.sqrt(h), arena, rnd);
        return new ModelWeights(embed, layers, norm, lmHead);
    }

    static Tensor matrix(String name, DType d, int rows, int cols, float scale, Arena arena, SplittableRandom rnd) {
        float[] v = new float[rows * cols];
        for (int k = 0; k < v.length; k++) v[k] = (float) (rnd.nextDouble(-1, 1) * scale);
        return tensor(name, d, new long[] {rows, cols}, v, arena);
    }

    static Tensor norm(String name, DType d, int n, Arena arena, SplittableRandom rnd) {
        return vector(name, d, n, 1f, 0.2f, arena, rnd);
    }

    static Tensor vector(String name, DType d, int n, float center, float spread, Arena arena, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int k = 0; k < n; k++) v[k] = center + (float) rnd.nextDouble(-spread, spread);
        return tensor(name, d, new long[] {n}, v, arena);
    }

    /** Stores {@code values} as {@code d} (bf16 by round-to-nearest-even, f16 by {@link Float#floatToFloat16}). */
    static Tensor tensor(String name, DType d, long[] shape, float[] values, Arena arena) {
        MemorySegment seg = arena.allocate((long) values.length * d.byteSize, 64);
        for (int k = 0; k < values.length; k++) {
            switch (d) {
                case F32 -> seg.setAtIndex(F32_LE, k, values[k]);
                case BF16 -> seg.setAtIndex(S16_LE, k, toBf16(values[k]));
                case F16 -> seg.setAtIndex(S16_LE, k, Float.floatToFloat16(values[k]));
            }
        }
        return new Tensor(name, d, shape, seg);
    }

    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16); // round to nearest even (finite inputs)
    }
}
