package dev.pagoda.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official openai-java SDK against a real server on loopback (API key required). */
class OpenAiSdkTest {
    private static final String KEY = "test-key-123";
    private static PagodaServer server;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.start(ServerConfig.loopback(0).withApiKey(KEY));
        client = client(KEY);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    private static OpenAIClient client(String key) {
        return OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey(key).maxRetries(0).build();
    }

    private static CompletionCreateParams.Builder completion(String prompt, int maxTokens) {
        return CompletionCreateParams.builder().model("stories260k").prompt(prompt).maxTokens(maxTokens).temperature(0.0);
    }

    @Test
    void listsAndRetrievesTheModel() {
        List<Model> models = client.models().list().data();
        assertEquals(1, models.size());
        assertEquals("stories260k", models.getFirst().id());
        assertEquals("stories260k", client.models().retrieve("stories260k").id());
        assertThrows(NotFoundException.class, () -> client.models().retrieve("gpt-5"));
    }

    @Test
    void completionWithUsage() {
        Completion c = client.completions().create(completion("Once upon a time", 12).build());
        CompletionChoice choice = c.choices().getFirst();
        assertFalse(choice.text().isEmpty());
        assertEquals(CompletionChoice.FinishReason.LENGTH, choice.finishReason());
        var usage = c.usage().orElseThrow();
        assertEquals(12, usage.completionTokens());
        assertEquals(usage.promptTokens() + 12, usage.totalTokens());
        assertEquals("fp_pagoda", c.systemFingerprint().orElseThrow());
    }

    @Test
    void streamedCompletionConcatenatesToTheSameText() {
        String whole = client.completions().create(completion("Lily and Ben", 20).build()).choices().getFirst().text();
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<Completion> s = client.completions().createStreaming(completion("Lily and Ben", 20).build())) {
            s.stream().forEach(c -> c.choices().forEach(ch -> streamed.append(ch.text())));
        }
        assertEquals(whole, streamed.toString());
    }

    @Test
    void twoChoicesAndSeededReproducibility() {
        CompletionCreateParams p = completion("The cat", 16).n(2).temperature(1.0).seed(1234).build();
        Completion a = client.completions().create(p), b = client.completions().create(p);
        assertEquals(2, a.choices().size());
        assertEquals(List.of(0L, 1L), a.choices().stream().map(CompletionChoice::index).toList());
        assertEquals(a.choices().get(0).text(), b.choices().get(0).text());
        assertEquals(a.choices().get(1).text(), b.choices().get(1).text());
        assertNotEquals(a.choices().get(0).text(), a.choices().get(1).text());
        assertEquals(32, a.usage().orElseThrow().completionTokens());
    }

    @Test
    void stopStringEndsTheText() {
        String free = client.completions().create(completion("Once upon a time", 30).build()).choices().getFirst().text();
        String stop = free.substring(free.indexOf(' ', 3) + 1, free.indexOf(' ', 3) + 3); // a piece from the middle
        CompletionChoice c = client.completions().create(completion("Once upon a time", 30).stop(stop).build()).choices().getFirst();
        assertEquals(CompletionChoice.FinishReason.STOP, c.finishReason());
        assertEquals(free.substring(0, free.indexOf(stop)), c.text());
    }

    @Test
    void completionLogprobs() {
        Completion c = client.completions().create(completion("Once upon a time", 5).logprobs(3).build());
        var lp = c.choices().getFirst().logprobs().orElseThrow();
        assertEquals(5, lp.tokens().orElseThrow().size());
        assertEquals(5, lp.tokenLogprobs().orElseThrow().size());
        assertTrue(lp.tokenLogprobs().orElseThrow().stream().allMatch(v -> v <= 0));
        assertEquals(String.join("", lp.tokens().orElseThrow()), c.choices().getFirst().text());
    }

    @Test
    void completionEchoWithLogprobs() {
        Completion c = client.completions().create(completion("Once upon a time", 5).logprobs(2).echo(true).build());
        CompletionChoice choice = c.choices().getFirst();
        var lp = choice.logprobs().orElseThrow();
        int promptTokens = (int) c.usage().orElseThrow().promptTokens();
        assertEquals(promptTokens + 5, lp.tokens().orElseThrow().size());
        assertEquals(promptTokens + 5, lp.tokenLogprobs().orElseThrow().size());
        assertTrue(choice.text().startsWith("Once upon a time"));
        assertEquals(0L, lp.textOffset().orElseThrow().getFirst());
    }

    @Test
    void chatCompletionAndStream() {
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model("stories260k").addUserMessage("Tim had a dog").temperature(0.0)
                .maxCompletionTokens(10).logprobs(true).topLogprobs(2).build();
        ChatCompletion c = client.chat().completions().create(p);
        String text = c.choices().getFirst().message().content().orElseThrow();
        assertEquals(10, c.usage().orElseThrow().completionTokens());
        var content = c.choices().getFirst().logprobs().orElseThrow().content().orElseThrow();
        assertEquals(10, content.size());
        assertEquals(2, content.getFirst().topLogprobs().size());

        StringBuilder text2 = new StringBuilder();
        long[] usageTokens = {-1};
        ChatCompletionCreateParams streamed = p.toBuilder().streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(streamed)) {
            s.stream().forEach(chunk -> {
                chunk.choices().forEach(ch -> ch.delta().content().ifPresent(text2::append));
                chunk.usage().ifPresent(u -> usageTokens[0] = u.completionTokens());
            });
        }
        assertEquals(text, text2.toString());
        assertEquals(10, usageTokens[0]);
    }

    @Test
    void vllmExtraFieldsAreAccepted() {
        Completion c = client.completions().create(completion("Once upon a time", 8).temperature(0.8).seed(7)
                .putAdditionalBodyProperty("top_k", JsonValue.from(5))
                .putAdditionalBodyProperty("min_p", JsonValue.from(0.05))
                .putAdditionalBodyProperty("repetition_penalty", JsonValue.from(1.2))
                .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true))
                .putAdditionalBodyProperty("min_tokens", JsonValue.from(8)).build());
        assertEquals(8, c.usage().orElseThrow().completionTokens());
    }

    @Test
    void embeddingsFloatAndBase64Agree() {
        EmbeddingCreateParams.Builder b = EmbeddingCreateParams.builder().model("stories260k").input("Once upon a time");
        CreateEmbeddingResponse f = client.embeddings().create(b.encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT).build());
        CreateEmbeddingResponse e = client.embeddings().create(b.encodingFormat(EmbeddingCreateParams.EncodingFormat.BASE64).build());
        List<Float> v = f.data().getFirst().embedding();
        assertEquals(64, v.size());
        double norm = 0;
        for (float x : v) norm += x * x;
        assertEquals(1.0, norm, 1e-4);
        assertEquals(v, e.data().getFirst().embedding());
        assertEquals(5, f.usage().promptTokens());
    }

    @Test
    void errorsMapToTheSdkExceptions() {
        assertThrows(UnauthorizedException.class, () -> client("wrong-key").models().list());
        assertThrows(NotFoundException.class, () -> client.completions().create(
                CompletionCreateParams.builder().model("nope").prompt("x").maxTokens(2).build()));
        BadRequestException tooLong = assertThrows(BadRequestException.class,
                () -> client.completions().create(completion("Once upon a time", 5000).build()));
        assertTrue(tooLong.getMessage().contains("maximum context length is 512"), tooLong.getMessage());
        BadRequestException badTemp = assertThrows(BadRequestException.class,
                () -> client.completions().create(completion("Once", 5).temperature(-1.0).build()));
        assertEquals("temperature", badTemp.param().orElse(null));
    }
}
