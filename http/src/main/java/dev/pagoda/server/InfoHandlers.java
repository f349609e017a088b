package dev.pagoda.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The small routes: GET /v1/models and /v1/models/{id}, POST /tokenize and /detokenize (vLLM's),
 * GET /health, /version and /metrics.
 */
final class InfoHandlers {
    /** {@code object: "model"}, with vLLM's extras root and max_model_len. */
    record ModelCard(String id, String object, long created, String ownedBy, String root, String parent, int maxModelLen) {}

    record ModelList(String object, List<ModelCard> data) {}

    record TokenizeResponse(int count, int maxModelLen, List<Integer> tokens, List<String> tokenStrs) {}

    record DetokenizeResponse(String prompt) {}

    record Version(String version) {}

    /** /health's body when there is something to warn about (otherwise empty, like vLLM's). */
    record Health(String status, java.util.Map<String, String> details) {}

    static final String VERSION = "0.1.0";

    private final ServerContext server;

    InfoHandlers(ServerContext server) {
        this.server = server;
    }

    private static List<ModelCard> cards(ServingModel m) {
        List<ModelCard> out = new ArrayList<>();
        for (String name : m.servedModelNames()) {
            out.add(new ModelCard(name, "model", m.createdEpochSeconds(), "pagoda", m.root(), null, m.maxModelLen()));
        }
        return out;
    }

    void models(Context ctx) {
        server.json(ctx, 200, new ModelList("list", cards(server.model())));
    }

    void model(Context ctx) {
        String id = ctx.pathParam("id");
        for (ModelCard c : cards(server.model())) {
            if (c.id().equals(id)) {
                server.json(ctx, 200, c);
                return;
            }
        }
        throw ApiError.modelNotFound(id);
    }

    /** vLLM's /tokenize: {@code prompt} (with add_special_tokens, default true) or chat {@code messages}. */
    void tokenize(Context ctx) {
        ServingModel model = server.model();
        JsonBody body = server.parseBody(ctx);
        model.checkModel(body.string("model", null));
        KnownFields.warnUnknown(body, KnownFields.TOKENIZE, "/tokenize");
        int[] ids;
        if (body.has("messages")) {
            ids = ChatCompletionsHandler.renderPrompt(body, model, server.config().limits());
        } else {
            String prompt = body.requiredString("prompt");
            ids = model.tokenizer().encode(prompt, body.bool("add_special_tokens", true));
        }
        boolean returnStrs = body.bool("return_token_strs", false);
        List<Integer> tokens = new ArrayList<>(ids.length);
        List<String> strs = returnStrs ? new ArrayList<>() : null;
        for (int id : ids) {
            tokens.add(id);
            if (strs != null) strs.add(model.tokenizer().idToToken(id));
        }
        server.json(ctx, 200, new TokenizeResponse(ids.length, model.maxModelLen(), tokens, strs));
    }

    /** vLLM's /detokenize: {@code tokens} → {@code prompt}. */
    void detokenize(Context ctx) {
        ServingModel model = server.model();
        JsonBody body = server.parseBody(ctx);
        model.checkModel(body.string("model", null));
        KnownFields.warnUnknown(body, KnownFields.DETOKENIZE, "/detokenize");
        JsonNode tokens = body.get("tokens");
        if (tokens == null) throw ApiError.badRequest("Field 'tokens' is required.", "tokens");
        if (!tokens.isArray()) throw JsonBody.wrongType("tokens", "a list of token ids", tokens);
        int vocab = model.modelConfig().vocabSize();
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = tokens.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) throw JsonBody.wrongType("tokens", "a list of token ids", v);
            ids[i] = v.intValue();
            if (ids[i] < 0 || ids[i] >= vocab) throw ApiError.badRequest("Token id " + ids[i] + " is out of vocabulary (size " + vocab + ").", "tokens");
        }
        server.json(ctx, 200, new DetokenizeResponse(model.tokenizer().decode(ids, false)));
    }

    /** 200 with an empty body when ready; 503 while loading, shutting down, or after the engine died. */
    void health(Context ctx) {
        boolean healthy = server.healthy();
        var details = new java.util.HashMap<>(server.healthDetails());
        // Why it is unhealthy, for whoever looks (a supervisor restarts on the 503 alone).
        ServingModel m = server.modelOrNull();
        if (m != null && m.engine().failure() != null) details.put("engine", m.engine().failure().getMessage());
        else if (server.state() == ServerContext.State.STOPPING) details.put("server", "shutting down");
        else if (server.state() == ServerContext.State.LOADING) details.put("server", "loading the model");
        else if (m != null && !m.engine().isRunning()) details.put("engine", "stopped");
        if (details.isEmpty()) ctx.status(healthy ? 200 : 503).result("");
        else server.json(ctx, healthy ? 200 : 503, new Health(healthy ? "ok" : "unavailable", new java.util.TreeMap<>(details)));
    }

    void version(Context ctx) {
        server.json(ctx, 200, new Version(VERSION));
    }

    void metrics(Context ctx) throws java.io.IOException {
        ServerMetrics m = server.metrics();
        if (m == null) throw ApiError.unavailable("The model is still loading; metrics start once it is ready.", "model_loading");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.write(out);
        ctx.status(200).contentType(m.contentType()).result(out.toByteArray());
    }
}
