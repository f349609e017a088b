package dev.pagoda.conformance;

import dev.pagoda.backend.cuda.HfGolden;
import dev.pagoda.engine.testing.Fixtures;
import java.util.List;

/**
 * Reference logits from Hugging Face transformers (fp32, CPU), written by
 * {@code scripts/goldens/make_logit_goldens.py}: a model, a prompt, and the logits after every
 * prompt token. Read by {@link HfGolden} (main code: {@code ./pagoda conformance} compares with them too).
 *
 * @param name     e.g. {@code qwen3-qknorm-hd32-bf16}
 * @param modelDir the Hugging Face model directory the goldens were computed from
 * @param tokenIds {@code [numPositions]} the prompt
 * @param logits   {@code [numPositions][vocabSize]} row {@code p}: HF's logits after token {@code p}
 * @param versions torch/transformers versions that made them (for messages)
 */
record LogitGolden(String name, java.nio.file.Path modelDir, int[] tokenIds, float[][] logits, String versions) {

    static final String RESOURCES = HfGolden.RESOURCES;

    int numPositions() {
        return tokenIds.length;
    }

    int vocabSize() {
        return logits[0].length;
    }

    /** Every golden listed in {@code logit-goldens.json}. */
    static List<LogitGolden> all() {
        return HfGolden.all(Fixtures.repoRoot()).stream()
                .map(g -> new LogitGolden(g.name(), g.modelDir(), g.tokenIds(), g.logits(), g.versions())).toList();
    }

    @Override
    public String toString() {
        return name;
    }
}
