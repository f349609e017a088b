package dev.pagoda.server;

import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** Starts a real server on a free loopback port with the bundled stories260K, quietly. */
final class TestServers {
    private TestServers() {}

    static PagodaServer start(ServerConfig config) throws IOException {
        ServeOptions options = ServeOptions.of(Fixtures.stories260k()).withServedModelNames(List.of("stories260k")).withNumThreads(1);
        return PagodaServer.start(config, options, new PrintStream(OutputStream.nullOutputStream()));
    }

    static PagodaServer start() throws IOException {
        return start(ServerConfig.loopback(0));
    }

    static HttpResponse<String> post(HttpClient client, int port, String path, String json) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(HttpClient client, int port, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The value of an unlabelled-but-for-model_name sample in /metrics text, or NaN. */
    static double metric(String metricsText, String name) {
        for (String line : metricsText.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return Double.NaN;
    }
}
