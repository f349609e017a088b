package dev.pagoda.backend.cuda;

import dev.pagoda.engine.model.DecoderLayerWeights;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.model.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import jcuda.Pointer;

/**
 * The model's weights in device memory. Matrices are bf16 whatever the checkpoint's dtype (F32 and
 * F16 are rounded to bf16 on upload; cuBLAS multiplies bf16 with fp32 accumulation); norm weights
 * and biases are fp32 (small, and they scale every activation). q/k/v are stacked into one matrix
 * and gate/up into another, so each is one GEMM.
 *
 * @param embedTokens {@code [vocabSize, hiddenSize]} bf16
 * @param layers      one per decoder layer
 * @param norm        {@code [hiddenSize]} fp32
 * @param lmHead      {@code [vocabSize, hiddenSize]} bf16; the same buffer as embedTokens when tied
 * @param matmulBytes bytes of the matrices one decode step reads (all linear layers and lm_head)
 */
record CudaWeights(DeviceBuffer embedTokens, List<Layer> layers, DeviceBuffer norm, DeviceBuffer lmHead, long matmulBytes) {

    /**
     * @param inputLayernorm         {@code [hiddenSize]} fp32
     * @param qkv                    {@code [qSize + 2 * kvSize, hiddenSize]} bf16: q_proj, k_proj, v_proj rows
     * @param qkvBias                {@code [qSize + 2 * kvSize]} fp32, or null (no attention_bias)
     * @param qNorm                  {@code [headDim]} fp32, or null (no q/k norm)
     * @param kNorm                  {@code [headDim]} fp32, or null
     * @param oProj                  {@code [hiddenSize, qSize]} bf16
     * @param postAttentionLayernorm {@code [hiddenSize]} fp32
     * @param gateUp                 {@code [2 * intermediateSize, hiddenSize]} bf16: gate_proj, then up_proj rows
     * @param downProj               {@code [hiddenSize, intermediateSize]} bf16
     */
    record Layer(DeviceBuffer inputLayernorm, DeviceBuffer qkv, DeviceBuffer qkvBias, DeviceBuffer qNorm, DeviceBuffer kNorm,
                 DeviceBuffer oProj, DeviceBuffer postAttentionLayernorm, DeviceBuffer gateUp, DeviceBuffer downProj) {}

    /** Elements converted per host chunk: bounds the heap a big matrix needs on its way up. */
    private static final int CHUNK = 1 << 22;

    static CudaWeights upload(CudaContext cuda, ModelConfig c, ModelWeights w) {
        if (w.layers().size() != c.numHiddenLayers()) {
            throw new IllegalArgumentException("weights have " + w.layers().size() + " layers, config.num_hidden_layers is " + c.numHiddenLayers());
        }
        if (c.numKeyValueHeads() <= 0 || c.numAttentionHeads() % c.numKeyValueHeads() != 0) {
            throw new IllegalArgumentException("num_attention_heads " + c.numAttentionHeads() + " is not a multiple of num_key_value_heads " + c.numKeyValueHeads());
        }
        if (c.headDim() % 2 != 0) throw new IllegalArgumentException("head_dim " + c.headDim() + " must be even for RoPE");
        int hidden = c.hiddenSize(), inter = c.intermediateSize();
        long[] bytes = {0};
        DeviceBuffer embed = matrix(cuda, bytes, c.vocabSize(), hidden, w.embedTokens());
        List<Layer> layers = new ArrayList<>();
        for (DecoderLayerWeights l : w.layers()) {
            if (c.qkNorm() && (l.qNorm().isEmpty() || l.kNorm().isEmpty())) {
                throw new IllegalArgumentException("config asks for q_norm/k_norm but layer weights lack them (" + l.qProj().name() + ")");
            }
            int qkvRows = c.qSize() + 2 * c.kvSize();
            layers.add(new Layer(
                    vector(cuda, l.inputLayernorm(), hidden),
                    matrix(cuda, bytes, qkvRows, hidden, l.qProj(), l.kProj(), l.vProj()),
                    c.attentionBias() ? qkvBias(cuda, c, l) : null,
                    c.qkNorm() ? vector(cuda, l.qNorm().get(), c.headDim()) : null,
                    c.qkNorm() ? vector(cuda, l.kNorm().get(), c.headDim()) : null,
                    matrix(cuda, bytes, hidden, c.qSize(), l.oProj()),
                    vector(cuda, l.postAttentionLayernorm(), hidden),
                    matrix(cuda, bytes, 2 * inter, hidden, l.gateProj(), l.upProj()),
                    matrix(cuda, bytes, hidden, inter, l.downProj())));
        }
        DeviceBuffer norm = vector(cuda, w.norm(), hidden);
        DeviceBuffer lmHead = w.lmHead() == w.embedTokens() ? embed : matrix(cuda, bytes, c.vocabSize(), hidden, w.lmHead());
        if (lmHead == embed) bytes[0] += embed.bytes(); // read again by lm_head each step
        return new CudaWeights(embed, layers, norm, lmHead, bytes[0] - embed.bytes());
    }

    /** Stacks {@code parts} (each {@code [rows_i, cols]}) into one bf16 {@code [rows, cols]} device matrix. */
    private static DeviceBuffer matrix(CudaContext cuda, long[] bytes, int rows, int cols, Tensor... parts) {
        long total = 0;
        for (Tensor t : parts) {
            if (t.rank() != 2 || t.dim(1) != cols) {
                throw new IllegalArgumentException("tensor " + t.name() + ": shape " + Arrays.toString(t.shape()) + ", expected [*, " + cols + "]");
            }
            total += t.dim(0);
        }
        if (total != rows) throw new IllegalArgumentException("tensors " + Arrays.toString(parts) + " stack to " + total + " rows, expected " + rows);
        DeviceBuffer b = cuda.allocate((long) rows * cols * 2);
        long offset = 0; // elements
        for (Tensor t : parts) {
            long n = t.numElements();
            for (long start = 0; start < n; start += CHUNK) {
                short[] chunk = new short[(int) Math.min(CHUNK, n - start)];
                Bf16.read(t.data(), t.dtype(), start, chunk);
                cuda.copyToDevice(b, (offset + start) * 2, Pointer.to(chunk), (long) chunk.length * 2);
            }
            offset += n;
        }
        bytes[0] += b.bytes();
        return b;
    }

    private static DeviceBuffer vector(CudaContext cuda, Tensor t, int n) {
        if (t.numElements() != n) throw new IllegalArgumentException("tensor " + t.name() + ": " + t.numElements() + " elements, expected " + n);
        return upload(cuda, Bf16.readFloats(t.data(), t.dtype(), n));
    }

    private static DeviceBuffer qkvBias(CudaContext cuda, ModelConfig c, DecoderLayerWeights l) {
        float[] bias = new float[c.qSize() + 2 * c.kvSize()];
        System.arraycopy(floats(l.qBias(), c.qSize()), 0, bias, 0, c.qSize());
        System.arraycopy(floats(l.kBias(), c.kvSize()), 0, bias, c.qSize(), c.kvSize());
        System.arraycopy(floats(l.vBias(), c.kvSize()), 0, bias, c.qSize() + c.kvSize(), c.kvSize());
        return upload(cuda, bias);
    }

    private static float[] floats(Optional<Tensor> t, int n) {
        Tensor tensor = t.orElseThrow(() -> new IllegalArgumentException("config has attention_bias but a q/k/v bias is missing"));
        if (tensor.numElements() != n) throw new IllegalArgumentException("tensor " + tensor.name() + ": " + tensor.numElements() + " elements, expected " + n);
        return Bf16.readFloats(tensor.data(), tensor.dtype(), n);
    }

    private static DeviceBuffer upload(CudaContext cuda, float[] values) {
        DeviceBuffer b = cuda.allocate((long) values.length * Float.BYTES);
        cuda.copyToDevice(b, values);
        return b;
    }
}
