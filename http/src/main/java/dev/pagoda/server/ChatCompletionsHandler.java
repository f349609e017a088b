package dev.pagoda.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pagoda.engine.chat.ChatTemplate;
import dev.pagoda.engine.chat.jinja.RenderLimits;
import dev.pagoda.engine.engine.CompletionOutput;
import dev.pagoda.engine.engine.RequestOutput;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.TokenLogprobs;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * POST /v1/chat/completions: the messages go through the model's chat template (with the
 * generation prompt), the rendered text is tokenized without adding special tokens (the template
 * writes them, as vLLM does), and the completion comes back as the assistant's message.
 */
final class ChatCompletionsHandler {
    private final ServerContext server;

    ChatCompletionsHandler(ServerContext server) {
        this.server = server;
    }

    /** A request read, checked, rendered and tokenized. */
    private record Prepared(ServingModel model, StreamOptions streaming, int priority, int[] prompt, SamplingParams params) {}

    void handle(Context ctx) throws Exception {
        // Parsing, the template and tokenizing are CPU work: off the virtual thread (ServerContext#prepare).
        server.readBody(ctx); // the network wait, on this virtual thread
        Prepared r = server.prepare(() -> prepare(ctx));
        String id = "chatcmpl-" + Ids.random();
        long created = System.currentTimeMillis() / 1000;
        Responder responder = new Responder(r.model(), id, created, r.prompt(), r.params().n());
        server.answer(ctx, () -> new GenerationRun(
                r.model().engine(), server.metrics(), id, List.of(r.prompt()), r.params(), r.priority()),
                responder, responder::response, r.streaming());
    }

    private Prepared prepare(Context ctx) {
        ServingModel model = server.model();
        JsonBody body = server.parseBody(ctx);
        model.checkModel(body.string("model", null));
        KnownFields.warnUnknown(body, KnownFields.CHAT, "/v1/chat/completions");
        StreamOptions streaming = StreamOptions.parse(body);
        SamplingRequest.checkUnsupported(body);
        int priority = body.integer("priority") == null ? 0 : body.integer("priority");
        int[] prompt = renderPrompt(body, model, server.config().limits());
        SamplingParams params = SamplingRequest.parse(body, SamplingRequest.Endpoint.CHAT, model, server.config().limits());
        SamplingRequest.checkLength(List.of(prompt), params, model.maxModelLen(), "messages");
        return new Prepared(model, streaming, priority, prompt, params);
    }

    /** OpenAI's message roles; any other is a 400 rather than whatever the template makes of it. */
    static final java.util.Set<String> ROLES = java.util.Set.of("system", "developer", "user", "assistant", "tool", "function");

    /** The messages through the chat template, tokenized. Also used by /tokenize. */
    static int[] renderPrompt(JsonBody body, ServingModel model, RequestLimits limits) {
        JsonNode messages = body.get("messages");
        if (messages == null) throw ApiError.badRequest("Field 'messages' is required.", "messages");
        if (!messages.isArray() || messages.isEmpty()) throw JsonBody.wrongType("messages", "a non-empty list of messages", messages);
        List<Object> plain = new ArrayList<>();
        for (JsonNode m : messages) plain.add(message(m));
        ChatTemplate template = template(body, model, limits);
        boolean addGenerationPrompt = body.bool("add_generation_prompt", true);
        boolean continueFinal = body.bool("continue_final_message", false);
        if (addGenerationPrompt && continueFinal && body.has("add_generation_prompt")) {
            throw ApiError.badRequest("Cannot set both `continue_final_message` and `add_generation_prompt` to True.", "continue_final_message");
        }
        Object tools = JsonBody.toPlain(body.get("tools"));
        Object kwargs = JsonBody.toPlain(body.get("chat_template_kwargs"));
        Map<String, Object> extra = new LinkedHashMap<>();
        if (kwargs instanceof Map<?, ?> kw) kw.forEach((k, v) -> extra.put(String.valueOf(k), v));
        else if (kwargs != null) throw JsonBody.wrongType("chat_template_kwargs", "an object", body.get("chat_template_kwargs"));
        String text;
        try {
            text = template.render(plain, tools instanceof List<?> l ? l : null, addGenerationPrompt && !continueFinal,
                    extra, RenderLimits.DEFAULT, java.time.LocalDateTime::now);
        } catch (RuntimeException e) {
            throw ApiError.badRequest("The chat template failed on these messages: " + e.getMessage(), "messages");
        } catch (StackOverflowError e) {
            // RenderLimits bounds the depth the interpreter counts; this catches what it does not.
            throw ApiError.badRequest("The chat template nests too deeply for these messages.", "messages");
        }
        if (continueFinal) {
            // Continue the last (assistant) message: cut whatever the template wrote after its content.
            Object last = ((Map<?, ?>) plain.getLast()).get("content");
            if (last instanceof String s && !s.isEmpty()) {
                int at = text.lastIndexOf(s);
                if (at >= 0) text = text.substring(0, at + s.length());
            }
        }
        // The template writes BOS and friends itself; add_special_tokens (default false) adds them again, as vLLM.
        int[] ids = model.tokenizer().encode(text, body.bool("add_special_tokens", false));
        return CompletionsHandler.truncate(List.of(ids), body).getFirst();
    }

    /**
     * The model's template, or the request's {@code chat_template}: templates are code, so a request
     * may bring one only when the operator said so (vLLM's {@code --trust-request-chat-template}), and
     * then it is size-bounded and runs under the same {@link RenderLimits} as the model's.
     */
    private static ChatTemplate template(JsonBody body, ServingModel model, RequestLimits limits) {
        String source = body.string("chat_template", null);
        if (source == null) {
            if (model.chatTemplate() == null) {
                throw ApiError.badRequest("This model has no chat template and none was given with --chat-template; use /v1/completions.", "messages");
            }
            return model.chatTemplate();
        }
        if (!limits.trustRequestChatTemplate()) {
            throw ApiError.badRequest("Chat template is passed with request, but --trust-request-chat-template is not set. "
                    + "Refused request with untrusted chat template; drop chat_template or ask the operator to start the server with that flag.",
                    "chat_template");
        }
        if (source.length() > limits.maxChatTemplateChars()) {
            throw ApiError.badRequest("chat_template may be at most " + limits.maxChatTemplateChars() + " characters, got " + source.length() + ".",
                    "chat_template");
        }
        try {
            Map<String, String> special = model.chatTemplate() != null ? model.chatTemplate().specialTokens() : Map.of();
            return ChatTemplate.of(source, special);
        } catch (RuntimeException e) {
            throw ApiError.badRequest("chat_template could not be parsed: " + e.getMessage(), "chat_template");
        } catch (StackOverflowError e) {
            throw ApiError.badRequest("chat_template nests too deeply to parse.", "chat_template");
        }
    }

    /** One message as the template sees it; a content list of text parts becomes one string (vLLM's "string" content format). */
    private static Map<String, Object> message(JsonNode m) {
        if (!m.isObject()) throw JsonBody.wrongType("messages", "a list of objects", m);
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual()) throw ApiError.badRequest("Every message needs a string 'role'.", "messages");
        if (!ROLES.contains(role.textValue())) {
            String r = role.textValue();
            throw ApiError.badRequest("Unknown message role '" + (r.length() > 40 ? r.substring(0, 40) + "…" : r) + "'; use one of "
                    + new java.util.TreeSet<>(ROLES) + ".", "messages");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> out = (Map<String, Object>) JsonBody.toPlain(m);
        JsonNode content = m.get("content");
        if (content != null && content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : content) {
                JsonNode type = part.get("type");
                if (type == null || !"text".equals(type.asText()) || !part.path("text").isTextual()) {
                    throw ApiError.badRequest("Only text content parts are supported by this model, got " + part + ".", "messages");
                }
                if (!sb.isEmpty()) sb.append('\n');
                sb.append(part.get("text").textValue());
            }
            out.put("content", sb.toString());
        } else if (content != null && !content.isTextual() && !content.isNull()) {
            throw JsonBody.wrongType("messages.content", "a string or a list of content parts", content);
        }
        return out;
    }

    private static final class Responder implements ServerContext.StreamFormat {
        private final ServingModel model;
        private final String id;
        private final long created;
        private final int[] prompt;
        private final int promptTokens;
        private final int n;
        private final int[] sentLogprobs;
        private final boolean[] sentFinish;
        private final int[] completionTokens;

        Responder(ServingModel model, String id, long created, int[] prompt, int n) {
            this.model = model;
            this.id = id;
            this.created = created;
            this.prompt = prompt;
            this.promptTokens = prompt.length;
            this.n = n;
            sentLogprobs = new int[n];
            sentFinish = new boolean[n];
            completionTokens = new int[n];
        }

        private ChatWire.Chunk chunk(ChatWire.ChunkChoice choice) {
            return new ChatWire.Chunk(id, "chat.completion.chunk", created, model.name(), List.of(choice), ServerContext.SYSTEM_FINGERPRINT, null);
        }

        @Override
        public List<Object> opening() {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < n; i++) out.add(chunk(new ChatWire.ChunkChoice(i, new ChatWire.Delta("assistant", ""), null, null, null)));
            return out;
        }

        @Override
        public List<Object> chunks(int promptIndex, RequestOutput o) {
            List<Object> out = new ArrayList<>();
            for (CompletionOutput c : o.outputs()) {
                int i = c.index();
                completionTokens[i] = c.tokenIds().length;
                boolean finishing = c.finished() && !sentFinish[i];
                if (c.numNewTokens() == 0 && c.textDelta().isEmpty() && !finishing) continue;
                ChatWire.Logprobs lp = null;
                if (c.logprobs().size() > sentLogprobs[i]) {
                    List<TokenLogprobs> fresh = c.logprobs().subList(sentLogprobs[i], c.logprobs().size());
                    lp = LogprobsFormat.chat(model.tokenizer(), new LogprobsFormat.Context(prompt, c.tokenIds()), sentLogprobs[i], fresh);
                    sentLogprobs[i] = c.logprobs().size();
                }
                if (finishing) sentFinish[i] = true;
                out.add(chunk(new ChatWire.ChunkChoice(i, new ChatWire.Delta(null, c.textDelta()), lp,
                        finishing ? c.finishReason().wireName() : null, finishing ? c.stopReason() : null)));
            }
            return out;
        }

        @Override
        public Object usageChunk() {
            int generated = 0;
            for (int t : completionTokens) generated += t;
            return new ChatWire.Chunk(id, "chat.completion.chunk", created, model.name(), List.of(), ServerContext.SYSTEM_FINGERPRINT,
                    Usage.of(promptTokens, generated));
        }

        Object response(RequestOutput[] finals) {
            List<ChatWire.Choice> choices = new ArrayList<>();
            int generated = 0;
            for (CompletionOutput c : finals[0].outputs()) {
                generated += c.tokenIds().length;
                ChatWire.Logprobs lp = c.logprobs().isEmpty() ? null : LogprobsFormat.chat(model.tokenizer(), new LogprobsFormat.Context(prompt, c.tokenIds()), 0, c.logprobs());
                choices.add(new ChatWire.Choice(c.index(), new ChatWire.Message("assistant", c.text(), null), lp,
                        c.finishReason().wireName(), c.stopReason()));
            }
            return new ChatWire.Response(id, "chat.completion", created, model.name(), choices, ServerContext.SYSTEM_FINGERPRINT,
                    Usage.of(promptTokens, generated), LogprobsFormat.promptLogprobs(model.tokenizer(), prompt, finals[0].promptLogprobs()));
        }
    }
}
