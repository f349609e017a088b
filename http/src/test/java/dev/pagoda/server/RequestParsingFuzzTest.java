package dev.pagoda.server;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.pagoda.engine.chat.ChatTemplate;
import dev.pagoda.engine.model.GenerationConfig;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelConfigParser;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Coverage-guided fuzzing of request parsing: the input is a request body, run through every check
 * the completions and chat handlers make before a request reaches the engine (JSON body, model
 * name, stream options, unsupported fields, prompts in their four shapes or chat messages through
 * the chat template, sampling parameters, context length, echo), with the real stories260k
 * tokenizer, chat template and configs. No server and no engine are involved.
 *
 * <p>A finding is: any exception other than {@link ApiError}, an {@code ApiError} whose status is
 * not 4xx (a 500 for the client's mistake), or one without a message, and an accepted request whose
 * prompt plus {@code max_tokens} exceeds the context. Hangs and out-of-memory
 * errors are findings too. Seeds: {@code RequestParsingFuzzTestInputs/}; see docs/reliability-fuzz.md.
 */
class RequestParsingFuzzTest {
    /** The server's default request limits ({@code serve} without limit flags). */
    private static final RequestLimits LIMITS = RequestLimits.DEFAULT;

    /** The server's mapper settings ({@link OpenAiServer}). */
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final ServingModel MODEL = model();

    private static ServingModel model() {
        Path dir = Fixtures.stories260k();
        try (InputStream in = PagodaServer.class.getResourceAsStream("fallback_chat_template.jinja")) {
            ModelConfig config = ModelConfigParser.parse(dir.resolve("config.json"));
            ChatTemplate template = ChatTemplate.fromTokenizerDir(dir, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            return new ServingModel(List.of("stories260k"), dir.toString(), null, null, Tokenizer.fromDirectory(dir), template,
                    config, GenerationConfig.load(dir, config), config.maxPositionEmbeddings(), null, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "15s")
    @DictionaryEntries({"\"model\"", "\"stories260k\"", "\"prompt\"", "\"messages\"", "\"role\"", "\"content\"", "\"user\"",
            "\"stream\"", "\"stream_options\"", "\"include_usage\"", "\"max_tokens\"", "\"max_completion_tokens\"", "\"n\"",
            "\"temperature\"", "\"top_p\"", "\"top_k\"", "\"min_p\"", "\"seed\"", "\"stop\"", "\"stop_token_ids\"", "\"logprobs\"",
            "\"top_logprobs\"", "\"prompt_logprobs\"", "\"logit_bias\"", "\"echo\"", "\"best_of\"", "\"presence_penalty\"",
            "\"frequency_penalty\"", "\"repetition_penalty\"", "\"truncate_prompt_tokens\"", "\"add_special_tokens\"",
            "\"add_generation_prompt\"", "\"continue_final_message\"", "\"chat_template_kwargs\"", "\"tools\"",
            "\"response_format\"", "\"priority\"", "\"ignore_eos\"", "\"min_tokens\"", "\"skip_special_tokens\"", "\"type\"",
            "\"text\"", "2147483647", "-1", "1e308", "NaN", "null", "true"})
    void parseRequest(byte[] body) {
        try {
            check(body);
        } catch (ApiError e) {
            assertTrue(e.status() >= 400 && e.status() < 500, () -> "status " + e.status() + " for a bad request: " + e.getMessage());
            assertNotNull(e.getMessage());
        }
    }

    /** An accepted request fits the context: prompt plus max_tokens, counted without int overflow. */
    private static void assertFits(List<int[]> prompts, SamplingParams params) {
        for (int[] p : prompts) {
            long total = (long) p.length + params.maxTokens().orElse(0);
            assertTrue(total <= MODEL.maxModelLen(), () -> "accepted " + p.length + " prompt tokens + max_tokens "
                    + params.maxTokens() + " beyond max_model_len " + MODEL.maxModelLen());
        }
    }

    /** What {@link CompletionsHandler#handle} and {@link ChatCompletionsHandler#handle} check, in their order. */
    private static void check(byte[] bytes) {
        JsonBody body = JsonBody.parse(MAPPER, bytes);
        MODEL.checkModel(body.string("model", null));
        boolean stream = body.bool("stream", false);
        JsonBody streamOptions = body.object("stream_options");
        if (streamOptions != null) streamOptions.bool("include_usage", false);
        if (streamOptions != null && !stream) throw ApiError.badRequest("stream_options without stream", "stream_options");
        SamplingRequest.checkUnsupported(body);
        body.integer("priority");
        if (body.has("messages")) {
            int[] prompt = ChatCompletionsHandler.renderPrompt(body, MODEL, LIMITS);
            SamplingParams params = SamplingRequest.parse(body, SamplingRequest.Endpoint.CHAT, MODEL, LIMITS);
            SamplingRequest.checkLength(List.of(prompt), params, MODEL.maxModelLen(), "messages");
            assertFits(List.of(prompt), params);
        } else {
            if (body.has("suffix")) throw ApiError.badRequest("suffix", "suffix");
            List<int[]> prompts = CompletionsHandler.truncate(
                    CompletionsHandler.prompts(body.get("prompt"), MODEL, body.bool("add_special_tokens", true), LIMITS), body);
            SamplingParams params = SamplingRequest.parse(body, SamplingRequest.Endpoint.COMPLETIONS, MODEL, LIMITS);
            SamplingRequest.checkLength(prompts, params, MODEL.maxModelLen(), "prompt");
            assertFits(prompts, params);
            if (body.bool("echo", false)) for (int[] p : prompts) MODEL.tokenizer().decode(p, params.skipSpecialTokens());
        }
    }
}
