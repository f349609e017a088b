package dev.pagoda.server;

import dev.pagoda.engine.chat.ChatTemplate;
import dev.pagoda.engine.engine.AsyncLlmEngine;
import dev.pagoda.engine.model.GenerationConfig;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.util.List;

/**
 * What the routes need of the one model this server serves: its names, the engine, the tokenizer,
 * the chat template and the limits requests are checked against before they reach the engine.
 *
 * @param servedModelNames the names clients may ask for; the first is reported in responses
 * @param root             the model directory (vLLM reports it as {@code root} in /v1/models)
 * @param chatTemplate     null when the model has none and none was given (chat requests are then a 400)
 * @param maxModelLen      longest sequence, prompt plus output
 * @param embeddings       pooled hidden states for /v1/embeddings
 * @param createdEpochSeconds when the model was loaded (the {@code created} of /v1/models)
 */
public record ServingModel(List<String> servedModelNames, String root, AsyncLlmEngine engine, EngineStats stats,
                           Tokenizer tokenizer, ChatTemplate chatTemplate, ModelConfig modelConfig,
                           GenerationConfig generationConfig, int maxModelLen, EmbeddingRunner embeddings,
                           long createdEpochSeconds) {
    public ServingModel {
        servedModelNames = List.copyOf(servedModelNames);
        if (servedModelNames.isEmpty()) throw new IllegalArgumentException("at least one served model name is needed");
    }

    /** The name responses carry. */
    public String name() {
        return servedModelNames.getFirst();
    }

    /** Throws a 404 unless {@code requested} is one of the served names (a missing model field means the default one). */
    public void checkModel(String requested) {
        if (requested != null && !servedModelNames.contains(requested)) throw ApiError.modelNotFound(requested);
    }
}
