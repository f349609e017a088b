package dev.pagoda.backend.cpu;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.DecoderLayerWeights;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.model.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A bare safetensors reader for trusted test files (the engine's loader, with its validation,
 * is the real one): memory-maps the file and names the tensors of a Llama-family model.
 */
final class TestSafetensors {
    private TestSafetensors() {}

    static ModelWeights weights(ModelConfig c, Map<String, Tensor> t) {
        List<DecoderLayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            layers.add(new DecoderLayerWeights(t.get(p + "input_layernorm.weight"),
                    t.get(p + "self_attn.q_proj.weight"), t.get(p + "self_attn.k_proj.weight"), t.get(p + "self_attn.v_proj.weight"),
                    Optional.ofNullable(t.get(p + "self_attn.q_proj.bias")), Optional.ofNullable(t.get(p + "self_attn.k_proj.bias")),
                    Optional.ofNullable(t.get(p + "self_attn.v_proj.bias")),
                    Optional.ofNullable(t.get(p + "self_attn.q_norm.weight")), Optional.ofNullable(t.get(p + "self_attn.k_norm.weight")),
                    t.get(p + "self_attn.o_proj.weight"), t.get(p + "post_attention_layernorm.weight"),
                    t.get(p + "mlp.gate_proj.weight"), t.get(p + "mlp.up_proj.weight"), t.get(p + "mlp.down_proj.weight")));
        }
        Tensor embed = t.get("model.embed_tokens.weight");
        return new ModelWeights(embed, layers, t.get("model.norm.weight"), c.tieWordEmbeddings() ? embed : t.get("lm_head.weight"));
    }

    /** Just enough of the safetensors format for trusted test files: u64 header length, JSON header, data. */
    static Map<String, Tensor> read(Path file, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            long headerLen = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            String header = new String(all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            Map<String, Tensor> out = new HashMap<>();
            for (var e : Json.parseObject(header).entrySet()) {
                if (e.getKey().equals("__metadata__")) continue;
                Map<?, ?> info = (Map<?, ?>) e.getValue();
                long[] shape = ((List<?>) info.get("shape")).stream().mapToLong(o -> ((Number) o).longValue()).toArray();
                List<?> offsets = (List<?>) info.get("data_offsets");
                long start = ((Number) offsets.get(0)).longValue(), end = ((Number) offsets.get(1)).longValue();
                out.put(e.getKey(), new Tensor(e.getKey(), DType.fromSafetensors((String) info.get("dtype")), shape,
                        all.asSlice(8 + headerLen + start, end - start)));
            }
            return out;
        }
    }
}
