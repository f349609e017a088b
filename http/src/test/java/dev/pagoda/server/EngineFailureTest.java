package dev.pagoda.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.engine.AsyncLlmEngine;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The server's life around the engine: 503 while the model loads; then the engine dies in the middle
 * of a stream: the client gets an error chunk and [DONE], /health turns 503, new requests get 503.
 */
class EngineFailureTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The CPU backend, until its fifth forward pass fails like a device fault. */
    private static final class FailingBackend implements ComputeBackend {
        private final ComputeBackend cpu = ComputeBackends.create("cpu", new BackendOptions(1));
        private int calls;

        @Override public String name() { return "failing"; }
        @Override public void loadModel(ModelConfig config, ModelWeights weights) { cpu.loadModel(config, weights); }
        @Override public long kvCacheBytesPerBlock(int blockSize) { return cpu.kvCacheBytesPerBlock(blockSize); }
        @Override public void allocateKvCache(int numBlocks, int blockSize) { cpu.allocateKvCache(numBlocks, blockSize); }
        @Override public void close() { cpu.close(); }

        @Override
        public Logits forward(ForwardBatch batch) {
            if (++calls == 5) throw new IllegalStateException("simulated device fault");
            return cpu.forward(batch);
        }
    }

    @Test
    void streamEndsWithAnErrorChunk() throws Exception {
        try (LoadedModel model = ModelLoader.load(Fixtures.stories260k()); FailingBackend backend = new FailingBackend();
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            backend.loadModel(model.config(), model.weights());
            Tokenizer tokenizer = Tokenizer.fromDirectory(Fixtures.stories260k());
            LlmEngine llm = new LlmEngine(backend, model.config(), model.generationConfig(), tokenizer, EngineConfig.defaults());
            EngineStats stats = new EngineStats();
            AsyncLlmEngine engine = new AsyncLlmEngine(llm, stats::update);
            try (OpenAiServer server = new OpenAiServer(ServerConfig.loopback(0)).start()) {
                // Still loading: health says 503, and so do the model's routes.
                assertEquals(503, TestServers.get(http, server.port(), "/health").statusCode());
                HttpResponse<String> loading = TestServers.post(http, server.port(), "/v1/completions", "{\"prompt\": \"Hi\"}");
                assertEquals(503, loading.statusCode());
                assertEquals("model_loading", JSON.readTree(loading.body()).get("error").get("code").asText());

                server.ready(new ServingModel(List.of("m"), "stories260k", engine, stats, tokenizer, null, model.config(),
                        model.generationConfig(), llm.maxModelLen(), null, 0));
                int port = server.port();
                assertEquals(200, TestServers.get(http, port, "/health").statusCode());

                HttpResponse<String> r = TestServers.post(http, port, "/v1/completions",
                        "{\"prompt\": \"Once upon a time\", \"max_tokens\": 20, \"stream\": true}");
                assertEquals(200, r.statusCode());
                String[] frames = r.body().split("\n\n");
                assertEquals("data: [DONE]", frames[frames.length - 1]);
                JsonNode error = JSON.readTree(frames[frames.length - 2].substring(6)).get("error");
                assertTrue(error.get("message").asText().contains("simulated device fault"), error.toString());
                assertEquals("server_error", error.get("type").asText());
                assertTrue(frames.length > 3, "some tokens were streamed before the fault: " + r.body());

                assertEquals(503, TestServers.get(http, port, "/health").statusCode());
                HttpResponse<String> after = TestServers.post(http, port, "/v1/completions", "{\"prompt\": \"Hi\", \"max_tokens\": 2}");
                assertEquals(503, after.statusCode());
                assertEquals("engine_dead", JSON.readTree(after.body()).get("error").get("code").asText());
            } finally {
                engine.close();
            }
        }
    }
}
