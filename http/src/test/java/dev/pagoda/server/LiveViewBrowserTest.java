package dev.pagoda.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The live view in a real browser: headless Chromium opens {@code /} of a real server on loopback,
 * requests run (two of them sharing a prefix, after one whose blocks stay cached), and the rendered
 * page must show owned, shared and cached blocks, the block tables and the scheduler's decisions.
 * Leaves a screenshot in {@code http/target/live-view.png}.
 */
class LiveViewBrowserTest {
    private static final String STORY = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her";

    /** Every kind of block on screen, and at least two block tables. */
    private static final String ALL_KINDS = """
            (() => {
              const n = (sel) => document.querySelectorAll(sel).length;
              return n('#grid .cell.owned') > 0 && n('#grid .cell.shared') > 0 && n('#grid .cell.cached') > 0 && n('#seqs tbody tr') >= 2;
            })()""";

    @Test
    void theLiveViewDrawsTheBlockPoolAndTheSchedulerLog() throws Exception {
        HeadlessChromium.executable(); // skip (or fail under CI) before starting anything
        try (PagodaServer server = LiveEventsTest.start(null); HeadlessChromium browser = HeadlessChromium.launch(1400, 1050)) {
            String base = "http://127.0.0.1:" + server.port();
            browser.navigate(base + "/");
            assertTrue(browser.waitFor("document.querySelectorAll('#log li.snapshot').length > 0 && document.querySelectorAll('#grid .cell').length === 128",
                    Duration.ofSeconds(30)), "the page never connected: " + browser.evaluate("document.getElementById('status').textContent"));

            // The view stops itself right after drawing the step with the first prefix-cache hit: the picture holds however fast the engine runs.
            browser.evaluate("window.pagodaLive.pauseAt('prefix-hit'); true");
            HttpClient client = HttpClient.newHttpClient();
            // A short request first: once it finishes, its full blocks are free but still cached.
            assertEquals(200, complete(client, base, "The cat sat on the mat and looked at the little bird", 2).join().statusCode());
            // Then three long ones at once; the first two share their first blocks through the prefix cache.
            List<CompletableFuture<HttpResponse<String>>> running = new ArrayList<>();
            // Sent together: the stories' ~40-token prompts exceed the 16-token budget, so whichever is admitted first takes
            // the whole step and the other is admitted a step or two later with a prefix-cache hit on the first's full
            // blocks while the first still runs (100 tokens to go). Waiting for the first one's admission in the browser
            // before sending the second lost that race on a loaded machine: the first had finished, its blocks only cached.
            running.add(complete(client, base, STORY + " mom.", 100));
            running.add(complete(client, base, STORY + " dog, Max.", 100));
            running.add(complete(client, base, "Tom had a red ball", 100));
            boolean paused = browser.waitFor("window.pagodaLive.isPaused()", Duration.ofSeconds(60));

            Path shot = Path.of("target", "live-view.png");
            Files.createDirectories(shot.getParent());
            Files.write(shot, browser.screenshot());
            assertTrue(paused, "the view never met a prefix-cache hit: " + browser.evaluate("document.getElementById('log').textContent"));
            assertTrue(Boolean.TRUE.equals(browser.evaluate(ALL_KINDS)), "owned, shared and cached blocks should all be drawn; grid classes: "
                    + browser.evaluate("[...document.querySelectorAll('#grid .cell')].map(c => c.className).join(' ')"));
            assertTrue(((Number) browser.evaluate("document.querySelectorAll('#grid .cell.shared').length")).intValue() >= 2);
            assertTrue(((Number) browser.evaluate("document.querySelectorAll('#seqs .bt span.shared').length")).intValue() >= 4,
                    "the two sharing sequences' block tables mark their shared blocks");
            assertTrue(((Number) browser.evaluate("document.querySelectorAll('#log li.decision.admitted').length")).intValue() >= 3);
            assertTrue(Boolean.TRUE.equals(browser.evaluate(
                    "[...document.querySelectorAll('#log li.decision.admitted')].some(li => li.textContent.includes('prefix-cache hit of'))")));
            assertTrue(Boolean.TRUE.equals(browser.evaluate(
                    "[...document.querySelectorAll('#log li.decision.admitted')].some(li => li.textContent.includes('(chunked)'))")),
                    "a 16-token budget chunks the long prompts");

            browser.evaluate("window.pagodaLive.pauseAt(''); window.pagodaLive.resume(); true");
            for (CompletableFuture<HttpResponse<String>> f : running) assertEquals(200, f.join().statusCode(), f.join().body());
            assertTrue(browser.waitFor("document.querySelectorAll('#log li.decision.finished').length >= 3 "
                    + "&& document.querySelectorAll('#grid .cell.owned, #grid .cell.shared').length === 0", Duration.ofSeconds(30)),
                    "the finished requests' blocks should all be free or cached at the end");

            // The chat page streams a reply from /v1/chat/completions.
            browser.navigate(base + "/chat");
            assertTrue(browser.waitFor("document.readyState === 'complete' && !!document.getElementById('form')", Duration.ofSeconds(20)));
            browser.evaluate("document.getElementById('input').value = 'Tell me a story'; document.getElementById('form').requestSubmit(); true");
            assertTrue(browser.waitFor("document.querySelectorAll('#messages .msg.assistant').length === 1 "
                    + "&& document.querySelector('#messages .msg.assistant span').textContent.length > 10 "
                    + "&& document.getElementById('status').textContent === ''", Duration.ofSeconds(30)),
                    "no streamed reply: " + browser.evaluate("document.getElementById('messages').textContent + ' / ' + document.getElementById('status').textContent"));
        }
    }

    private static CompletableFuture<HttpResponse<String>> complete(HttpClient client, String base, String prompt, int maxTokens) {
        String body = "{\"model\": \"stories260k\", \"prompt\": \"" + prompt + "\", \"max_tokens\": " + maxTokens + ", \"ignore_eos\": true}";
        return client.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/completions")).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
