package dev.pagoda.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pagoda.engine.engine.CompletionOutput;
import dev.pagoda.engine.engine.RequestOutput;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.TokenLogprobs;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * POST /v1/completions. The prompt is a string, a list of strings, a list of token ids or a list
 * of such lists; every prompt gets {@code n} choices, numbered prompt by prompt
 * ({@code index = promptIndex * n + i}), as OpenAI and vLLM do.
 */
final class CompletionsHandler {
    private final ServerContext server;

    CompletionsHandler(ServerContext server) {
        this.server = server;
    }

    /** A request read, checked and tokenized: everything the generation needs. */
    private record Prepared(ServingModel model, StreamOptions streaming, boolean echo, int priority, List<int[]> prompts,
                            SamplingParams params, List<String> echoed) {}

    void handle(Context ctx) throws Exception {
        // Parsing and tokenizing are CPU work that can take seconds for a large body: off the virtual thread (ServerContext#prepare).
        server.readBody(ctx); // the network wait, on this virtual thread
        Prepared r = server.prepare(() -> prepare(ctx));
        String id = "cmpl-" + Ids.random();
        long created = System.currentTimeMillis() / 1000;
        Responder responder = new Responder(r.model(), id, created, r.prompts(), r.params().n(), r.echoed(),
                r.echo() && r.params().logprobs().isPresent() ? r.params().logprobs().getAsInt() : -1);
        server.answer(ctx, () -> new GenerationRun(
                r.model().engine(), server.metrics(), id, r.prompts(), r.params(), r.priority()),
                responder, responder::response, r.streaming());
    }

    private Prepared prepare(Context ctx) {
        ServingModel model = server.model();
        JsonBody body = server.parseBody(ctx);
        model.checkModel(body.string("model", null));
        KnownFields.warnUnknown(body, KnownFields.COMPLETIONS, "/v1/completions");
        if (body.has("suffix")) throw ApiError.badRequest("suffix is not currently supported", "suffix");
        StreamOptions streaming = StreamOptions.parse(body);
        boolean echo = body.bool("echo", false);
        SamplingRequest.checkUnsupported(body);
        int priority = body.integer("priority") == null ? 0 : body.integer("priority");
        List<int[]> prompts = truncate(prompts(body.get("prompt"), model, body.bool("add_special_tokens", true), server.config().limits()), body);
        SamplingParams params = SamplingRequest.parse(body, SamplingRequest.Endpoint.COMPLETIONS, model, server.config().limits());
        SamplingRequest.checkLength(prompts, params, model.maxModelLen(), "prompt");
        List<String> echoed = new ArrayList<>();
        for (int[] p : prompts) echoed.add(echo ? model.tokenizer().decode(p, params.skipSpecialTokens()) : "");
        return new Prepared(model, streaming, echo, priority, prompts, params, echoed);
    }

    /** vLLM's {@code truncate_prompt_tokens}: keep only the last N tokens of each prompt. */
    static List<int[]> truncate(List<int[]> prompts, JsonBody body) {
        Integer keep = body.integer("truncate_prompt_tokens");
        if (keep == null) return prompts;
        if (keep < 1) throw ApiError.badRequest("truncate_prompt_tokens must be at least 1, got " + keep + ".", "truncate_prompt_tokens");
        List<int[]> out = new ArrayList<>();
        for (int[] p : prompts) out.add(p.length <= keep ? p : java.util.Arrays.copyOfRange(p, p.length - keep, p.length));
        return out;
    }

    /**
     * Reads {@code prompt} in any of its four shapes into token id lists; text is tokenized with the
     * tokenizer's special tokens (BOS) when {@code addSpecialTokens}, token ids are taken as they are.
     */
    static List<int[]> prompts(JsonNode prompt, ServingModel model, boolean addSpecialTokens, RequestLimits limits) {
        if (prompt == null) throw ApiError.badRequest("Field 'prompt' is required.", "prompt");
        if (prompt.isArray() && prompt.size() > limits.maxPrompts() && !prompt.get(0).isIntegralNumber()) {
            throw ApiError.badRequest("At most " + limits.maxPrompts() + " prompts may be sent in one request (the server's --max-prompts-per-request), got "
                    + prompt.size() + ".", "prompt");
        }
        List<int[]> out = new ArrayList<>();
        if (prompt.isTextual()) {
            out.add(encode(model, prompt.textValue(), addSpecialTokens));
        } else if (prompt.isArray() && !prompt.isEmpty()) {
            JsonNode first = prompt.get(0);
            if (first.isTextual()) {
                for (JsonNode p : prompt) {
                    if (!p.isTextual()) throw ApiError.badRequest("Field 'prompt' mixes strings and other values.", "prompt");
                    out.add(encode(model, p.textValue(), addSpecialTokens));
                }
            } else if (first.isIntegralNumber()) {
                out.add(tokenIds(prompt, model));
            } else if (first.isArray()) {
                for (JsonNode p : prompt) {
                    if (!p.isArray() || p.isEmpty()) throw ApiError.badRequest("Field 'prompt' must be a list of non-empty token id lists.", "prompt");
                    out.add(tokenIds(p, model));
                }
            } else {
                throw JsonBody.wrongType("prompt", "a string, a list of strings, a list of token ids or a list of token id lists", prompt);
            }
        } else {
            throw JsonBody.wrongType("prompt", "a string, a list of strings, a list of token ids or a list of token id lists", prompt);
        }
        return out;
    }

    /**
     * An empty string is refused even though the tokenizer would give it a BOS: a prompt of nothing
     * is almost always a client bug (an unfilled template variable), and the model's answer to a bare
     * BOS is noise.
     */
    private static int[] encode(ServingModel model, String text, boolean addSpecialTokens) {
        if (text.isEmpty()) throw ApiError.badRequest("The prompt cannot be an empty string; send at least one character or token id.", "prompt");
        return model.tokenizer().encode(text, addSpecialTokens);
    }

    private static int[] tokenIds(JsonNode list, ServingModel model) {
        int vocab = model.modelConfig().vocabSize();
        int[] ids = new int[list.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = list.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) throw JsonBody.wrongType("prompt", "token ids (integers)", v);
            ids[i] = v.intValue();
            if (ids[i] < 0 || ids[i] >= vocab) throw ApiError.badRequest("Token id " + ids[i] + " is out of vocabulary (size " + vocab + ").", "prompt");
        }
        return ids;
    }

    /** Turns engine outputs into this endpoint's response and chunks. */
    private static final class Responder implements ServerContext.StreamFormat {
        private final ServingModel model;
        private final String id;
        private final long created;
        private final List<int[]> prompts;
        private final int n;
        private final List<String> echoed;
        private final int echoLogprobs;      // top N of the echoed prompt tokens; -1: no echoed logprobs
        private final int[] sentChars;       // [numPrompts * n] text characters sent so far (for logprob offsets)
        private final int[] sentLogprobs;    // [numPrompts * n] logprob entries sent so far
        private final boolean[] sentFinish;  // [numPrompts * n]
        private final boolean[] started;     // [numPrompts * n] a chunk was sent (the echo goes into the first)
        private final int[] completionTokens; // [numPrompts * n]

        Responder(ServingModel model, String id, long created, List<int[]> prompts, int n, List<String> echoed, int echoLogprobs) {
            this.model = model;
            this.id = id;
            this.created = created;
            this.prompts = prompts;
            this.n = n;
            this.echoed = echoed;
            this.echoLogprobs = echoLogprobs;
            int k = prompts.size() * n;
            sentChars = new int[k];
            sentLogprobs = new int[k];
            sentFinish = new boolean[k];
            started = new boolean[k];
            completionTokens = new int[k];
        }

        /** The chunks one engine output of prompt {@code p} becomes (one per choice that changed). */
        @Override
        public List<Object> chunks(int p, RequestOutput o) {
            List<Object> chunks = new ArrayList<>();
            for (CompletionOutput c : o.outputs()) {
                int index = p * n + c.index();
                completionTokens[index] = c.tokenIds().length;
                boolean finishing = c.finished() && !sentFinish[index];
                if (c.numNewTokens() == 0 && c.textDelta().isEmpty() && !finishing) continue;
                String text = c.textDelta();
                CompletionWire.Logprobs echoLp = null;
                boolean first = !started[index];
                started[index] = true;
                if (first && !echoed.get(p).isEmpty()) {
                    text = echoed.get(p) + text;
                    sentChars[index] = echoed.get(p).length(); // the output's offsets start after the echo
                }
                if (first && echoLogprobs >= 0) echoLp = LogprobsFormat.echoedPrompt(model.tokenizer(), prompts.get(p), o.promptLogprobs(), echoLogprobs);
                CompletionWire.Logprobs lp = null;
                if (!c.logprobs().isEmpty() || sentLogprobs[index] > 0) {
                    List<TokenLogprobs> fresh = c.logprobs().subList(sentLogprobs[index], c.logprobs().size());
                    lp = LogprobsFormat.completion(model.tokenizer(), new LogprobsFormat.Context(prompts.get(p), c.tokenIds()),
                            sentLogprobs[index], fresh, sentChars[index]);
                    sentLogprobs[index] = c.logprobs().size();
                }
                sentChars[index] += c.textDelta().length();
                if (finishing) sentFinish[index] = true;
                chunks.add(new CompletionWire.Response(id, "text_completion", created, model.name(),
                        List.of(new CompletionWire.Choice(index, text, LogprobsFormat.concat(echoLp, lp), finishing ? c.finishReason().wireName() : null,
                                finishing ? c.stopReason() : null, null)),
                        ServerContext.SYSTEM_FINGERPRINT, null));
            }
            return chunks;
        }

        @Override
        public Object usageChunk() {
            return new CompletionWire.Response(id, "text_completion", created, model.name(), List.of(),
                    ServerContext.SYSTEM_FINGERPRINT, usage());
        }

        private Usage usage() {
            int promptTokens = 0, generated = 0;
            for (int[] p : prompts) promptTokens += p.length;
            for (int t : completionTokens) generated += t;
            return Usage.of(promptTokens, generated);
        }

        /** The whole response from each prompt's final output. */
        Object response(RequestOutput[] finals) {
            List<CompletionWire.Choice> choices = new ArrayList<>();
            for (int p = 0; p < finals.length; p++) {
                for (CompletionOutput c : finals[p].outputs()) {
                    int index = p * n + c.index();
                    completionTokens[index] = c.tokenIds().length;
                    String prefix = echoed.get(p);
                    CompletionWire.Logprobs lp = c.logprobs().isEmpty() ? null
                            : LogprobsFormat.completion(model.tokenizer(), new LogprobsFormat.Context(prompts.get(p), c.tokenIds()), 0,
                                    c.logprobs(), prefix.length());
                    if (echoLogprobs >= 0) {
                        lp = LogprobsFormat.concat(LogprobsFormat.echoedPrompt(model.tokenizer(), prompts.get(p), finals[p].promptLogprobs(), echoLogprobs), lp);
                    }
                    choices.add(new CompletionWire.Choice(index, prefix + c.text(), lp, c.finishReason().wireName(), c.stopReason(),
                            LogprobsFormat.promptLogprobs(model.tokenizer(), prompts.get(p), finals[p].promptLogprobs())));
                }
            }
            return new CompletionWire.Response(id, "text_completion", created, model.name(), choices,
                    ServerContext.SYSTEM_FINGERPRINT, usage());
        }
    }
}
