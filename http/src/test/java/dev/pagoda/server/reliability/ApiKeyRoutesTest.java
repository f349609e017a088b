package dev.pagoda.server.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.UnauthorizedException;
import dev.pagoda.server.OpenAiServer;
import dev.pagoda.server.PagodaServer;
import dev.pagoda.server.ServerConfig;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With {@code --api-key}, every registered route but the open ones (health, version, metrics) wants
 * the key: the test walks Javalin's own route table, so a route added later without the guard fails
 * here. The key is compared in constant time ({@code ApiKeyCheck}: SHA-256 of both, then
 * {@code MessageDigest.isEqual}).
 */
class ApiKeyRoutesTest {
    private static final String KEY = "sk-reliability-0123456789";
    private static PagodaServer server;
    private static HttpClient http;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        server = LoopbackServer.start(ServerConfig.loopback(0).withApiKey(KEY));
        port = server.port();
        http = LoopbackServer.client();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void everyRouteButTheOpenOnesWantsTheKey() throws Exception {
        List<String> routes = server.http().registeredRoutes();
        assertTrue(routes.contains("POST /v1/completions") && routes.contains("POST /tokenize") && routes.contains("GET /health"), routes.toString());
        List<String> problems = new ArrayList<>();
        int guarded = 0;
        for (String route : routes) {
            String method = route.substring(0, route.indexOf(' '));
            String path = route.substring(route.indexOf(' ') + 1).replace("{id}", "stories260k");
            byte[] body = method.equals("GET") ? null : "{\"prompt\": \"Hi\", \"max_tokens\": 1, \"tokens\": [1], \"input\": \"Hi\"}".getBytes();
            boolean open = OpenAiServer.openPaths().contains(path);
            for (String[] auth : new String[][] {{}, {"Authorization", "Bearer wrong"}, {"Authorization", "Bearer " + KEY + "x"},
                    {"Authorization", KEY}, {"Authorization", "Basic " + KEY}}) {
                int r = LoopbackServer.status(http, port, method, path, body, auth);
                if (open && r == 401) problems.add(route + " is open but asked for the key");
                if (!open && r != 401) problems.add(route + " answered " + r + " with " + String.join(" ", auth));
            }
            int withKey = LoopbackServer.status(http, port, method, path, body, "Authorization", "Bearer " + KEY);
            if (withKey == 401) problems.add(route + " refused the right key");
            if (!open) guarded++;
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        assertTrue(guarded >= 12, "every /v1 route with and without the prefix is guarded: " + guarded);
        // Unknown paths too: a 401 first, so that nobody learns which routes exist without the key.
        assertEquals(401, LoopbackServer.get(http, port, "/v1/secret-admin").statusCode());
        assertEquals(401, LoopbackServer.get(http, port, "/health/../v1/models").statusCode());
    }

    @Test
    void theSdkSeesA401WithoutTheKey() {
        var client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + port + "/v1").apiKey("wrong").maxRetries(0).build();
        UnauthorizedException e = org.junit.jupiter.api.Assertions.assertThrows(UnauthorizedException.class, () -> client.models().list());
        assertEquals(401, e.statusCode());
    }
}
