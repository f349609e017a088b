package dev.pagoda.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * POST /v1/embeddings: {@code input} as a string, a list of strings, token ids or lists of token
 * ids; each becomes one L2-normalized vector ({@link EmbeddingRunner}). {@code encoding_format}
 * {@code float} returns numbers; {@code base64} (what OpenAI's SDKs ask for by default) the
 * little-endian float32 bytes, base64-encoded.
 */
final class EmbeddingsHandler {
    record Embedding(String object, int index, Object embedding) {}

    record Response(String id, String object, long created, String model, List<Embedding> data, Usage usage) {}

    private final ServerContext server;

    EmbeddingsHandler(ServerContext server) {
        this.server = server;
    }

    void handle(Context ctx) {
        ServingModel model = server.model();
        JsonBody body = server.parseBody(ctx);
        model.checkModel(body.string("model", null));
        KnownFields.warnUnknown(body, KnownFields.EMBEDDINGS, "/v1/embeddings");
        String format = body.string("encoding_format", "float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiError.badRequest("encoding_format must be 'float' or 'base64', got '" + format + "'.", "encoding_format");
        }
        Integer dimensions = body.integer("dimensions");
        int hidden = model.modelConfig().hiddenSize();
        if (dimensions != null && dimensions != hidden) {
            throw ApiError.badRequest("This model does not support matryoshka representation; dimensions must be " + hidden + " or absent.", "dimensions");
        }
        JsonNode input = body.get("input");
        if (input == null) throw ApiError.badRequest("Field 'input' is required.", "input");
        List<int[]> inputs = CompletionsHandler.truncate(CompletionsHandler.prompts(input, model, body.bool("add_special_tokens", true), server.config().limits()), body);
        for (int[] ids : inputs) {
            if (ids.length == 0) throw ApiError.badRequest("The input cannot be empty.", "input");
            if (ids.length > model.maxModelLen()) {
                throw ApiError.badRequest("This model's maximum context length is " + model.maxModelLen() + " tokens. However, your request has "
                        + ids.length + " input tokens. Please reduce the length of the input.", "input");
            }
        }
        List<Embedding> data = new ArrayList<>();
        int tokens = 0;
        for (int i = 0; i < inputs.size(); i++) {
            float[] v = model.embeddings().embed(inputs.get(i));
            tokens += inputs.get(i).length;
            data.add(new Embedding("embedding", i, format.equals("base64") ? base64(v) : floats(v)));
        }
        server.json(ctx, 200, new Response("embd-" + Ids.random(), "list", System.currentTimeMillis() / 1000, model.name(), data,
                Usage.of(tokens, 0)));
    }

    private static List<Float> floats(float[] v) {
        List<Float> out = new ArrayList<>(v.length);
        for (float f : v) out.add(f);
        return out;
    }

    private static String base64(float[] v) {
        ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) buf.putFloat(f);
        return Base64.getEncoder().encodeToString(buf.array());
    }
}
