package dev.pagoda.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.testing.Fixtures;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code serve --stream-interval 8}: a 40-token stream comes in 1 + 5 chunks of text (the first token
 * at once, then every 8), and says exactly what the plain response says, usage included.
 */
class StreamIntervalServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void fewerChunksSameText() throws Exception {
        ServeOptions options = ServeOptions.of(Fixtures.stories260k()).withServedModelNames(List.of("stories260k")).withNumThreads(1)
                .withEngineConfig(EngineConfig.defaults().withStreamInterval(8));
        try (PagodaServer server = PagodaServer.start(ServerConfig.loopback(0), options, new PrintStream(OutputStream.nullOutputStream()))) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String request = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 40, \"temperature\": 0, \"ignore_eos\": true";
            HttpResponse<String> plain = TestServers.post(http, server.port(), "/v1/completions", request + "}");
            assertEquals(200, plain.statusCode(), plain.body());
            String expected = JSON.readTree(plain.body()).get("choices").get(0).get("text").asText();

            HttpResponse<String> streamed = TestServers.post(http, server.port(), "/v1/completions",
                    request + ", \"stream\": true, \"stream_options\": {\"include_usage\": true}}");
            assertEquals(200, streamed.statusCode(), streamed.body());
            StringBuilder text = new StringBuilder();
            int textChunks = 0;
            JsonNode usage = null;
            for (String frame : streamed.body().split("\n\n")) {
                if (!frame.startsWith("data: {")) continue;
                JsonNode chunk = JSON.readTree(frame.substring(6));
                if (chunk.hasNonNull("usage")) usage = chunk.get("usage");
                if (chunk.get("choices").isEmpty()) continue;
                String t = chunk.get("choices").get(0).get("text").asText();
                if (!t.isEmpty()) textChunks++;
                text.append(t);
            }
            assertEquals(expected, text.toString());
            assertTrue(textChunks <= 6 && textChunks >= 2, textChunks + " chunks with text for 40 tokens at interval 8");
            assertEquals(40, usage.get("completion_tokens").asInt());
        }
    }
}
