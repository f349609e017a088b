package dev.pagoda.engine.model;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A model ready for a backend: its config, weights and generation defaults. The weights live in
 * {@code arena} (memory mappings of the safetensors files, or off-heap dummy weights); closing
 * this closes the arena, after which no tensor may be read.
 *
 * @param dir              the model directory
 * @param config           from config.json
 * @param weights          every weight tensor, checked against {@code config}
 * @param generationConfig from generation_config.json (or config.json's bos/eos)
 * @param format           where the weights came from
 * @param arena            owns the weights' memory (a shared arena: any thread may read)
 */
public record LoadedModel(Path dir, ModelConfig config, ModelWeights weights, GenerationConfig generationConfig,
                          LoadFormat format, Arena arena) implements AutoCloseable {

    /** Bytes of weights, each distinct tensor once (a tied lm_head is not counted twice). */
    public long weightBytes() {
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        seen.put(weights.embedTokens(), true);
        seen.put(weights.norm(), true);
        seen.put(weights.lmHead(), true);
        for (DecoderLayerWeights l : weights.layers()) {
            for (Tensor t : new Tensor[] {l.inputLayernorm(), l.qProj(), l.kProj(), l.vProj(), l.oProj(),
                    l.postAttentionLayernorm(), l.gateProj(), l.upProj(), l.downProj()}) {
                seen.put(t, true);
            }
            l.qBias().ifPresent(t -> seen.put(t, true));
            l.kBias().ifPresent(t -> seen.put(t, true));
            l.vBias().ifPresent(t -> seen.put(t, true));
            l.qNorm().ifPresent(t -> seen.put(t, true));
            l.kNorm().ifPresent(t -> seen.put(t, true));
        }
        return seen.keySet().stream().mapToLong(t -> t.data().byteSize()).sum();
    }

    @Override
    public void close() {
        arena.close();
    }
}
