package dev.pagoda.cli;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.chat.ChatTemplate;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.engine.RequestOutput;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Chat with the engine in this process: the messages are rendered with the model's chat template
 * (or, for a model without one, the server's plain fallback: BOS, then the contents one per line),
 * tokenized without adding special tokens (the template writes them), and stepped through
 * {@link LlmEngine} one step at a time so that text appears as it is generated.
 */
final class InProcessChatClient implements ChatClient {
    private final Path modelDir;
    private final LoadedModel model;
    private final ComputeBackend backend;
    private final LlmEngine engine;
    private final ChatTemplate template;
    private final Map<String, Object> sampling;
    private int turns;

    /** @param sampling OpenAI sampling fields for every turn ({@code max_tokens}, {@code temperature}, {@code seed}) */
    InProcessChatClient(Path modelDir, String device, int threads, EngineConfig config, Map<String, Object> sampling) throws IOException {
        this.modelDir = modelDir;
        this.sampling = Map.copyOf(sampling);
        this.model = ModelLoader.load(modelDir, LoadFormat.fromCli("safetensors"));
        ComputeBackend b = null;
        try {
            Tokenizer tokenizer = Tokenizer.fromDirectory(modelDir);
            this.template = template(modelDir);
            b = ComputeBackends.create(device, new BackendOptions(threads));
            b.loadModel(model.config(), model.weights());
            this.engine = new LlmEngine(b, model.config(), model.generationConfig(), tokenizer, config);
            this.backend = b;
        } catch (RuntimeException | IOException e) {
            if (b != null) b.close();
            model.close();
            throw e;
        }
    }

    private static ChatTemplate template(Path modelDir) throws IOException {
        try {
            return ChatTemplate.fromTokenizerDir(modelDir);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().contains("has no chat template")) throw e;
            try (InputStream in = dev.pagoda.server.PagodaServer.class.getResourceAsStream("fallback_chat_template.jinja")) {
                return ChatTemplate.fromTokenizerDir(modelDir, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
    }

    @Override
    public String describe() {
        return modelDir.getFileName() + " in this process (" + backend.name() + ", max_model_len " + engine.maxModelLen() + ")";
    }

    @Override
    public String reply(List<Map<String, Object>> messages, Consumer<String> onDelta) {
        String text = template.render(messages, null, true);
        int[] prompt = engine.tokenizer().encode(text, false);
        SamplingParams params;
        try {
            params = SamplingParams.fromJson(new java.util.LinkedHashMap<>(sampling));
            engine.addRequest("chat-" + ++turns, prompt, params, 0);
        } catch (IllegalArgumentException e) { // SamplingParamsException included
            throw new ChatException(e.getMessage() + (prompt.length >= engine.maxModelLen() ? "; /reset starts a new conversation" : ""));
        }
        StringBuilder reply = new StringBuilder();
        while (engine.hasUnfinishedRequests()) {
            for (RequestOutput o : engine.step().outputs()) {
                String delta = o.outputs().getFirst().textDelta();
                reply.append(delta);
                if (!delta.isEmpty()) onDelta.accept(delta);
            }
        }
        return reply.toString();
    }

    @Override
    public void close() {
        backend.close();
        model.close();
    }
}
