package dev.pagoda.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.testing.Fixtures;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads of stories260K from a fake hub on loopback into a temporary HF cache. */
class HubDownloaderTest {
    private static final String REPO = "karpathy/stories260K";
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir Path home;
    private FakeHub hub;

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub(REPO, Fixtures.stories260k());
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private HubDownloader downloader(Map<String, String> extraEnv) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("HF_HOME", home.toString(), "HF_ENDPOINT", hub.endpoint()));
        env.putAll(extraEnv);
        return new HubDownloader(HubConfig.fromEnvironment(env), QUIET);
    }

    private Path repoDir() {
        return home.resolve("hub/models--karpathy--stories260K");
    }

    @Test
    void downloadsIntoTheStandardCacheLayoutOnce() throws Exception {
        Path snapshot = downloader(Map.of()).snapshot(REPO, "main");
        assertEquals(repoDir().resolve("snapshots/" + FakeHub.COMMIT), snapshot);
        assertEquals(FakeHub.COMMIT, Files.readString(repoDir().resolve("refs/main"), StandardCharsets.UTF_8));
        byte[] weights = Files.readAllBytes(Fixtures.stories260k().resolve("model.safetensors"));
        assertTrue(Files.isSymbolicLink(snapshot.resolve("model.safetensors")));
        assertEquals(Path.of("../../blobs/" + FakeHub.sha256(weights)), Files.readSymbolicLink(snapshot.resolve("model.safetensors")));
        assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        byte[] config = Files.readAllBytes(Fixtures.stories260k().resolve("config.json"));
        assertTrue(Files.isRegularFile(repoDir().resolve("blobs/" + FakeHub.gitBlobSha1(config))));
        assertFalse(Files.exists(snapshot.resolve("original")));
        try (LoadedModel m = ModelLoader.load(snapshot)) {
            assertEquals(512, m.config().vocabSize());
        }
        int fetched = hub.downloads.size();
        downloader(Map.of()).snapshot(REPO, "main");
        assertEquals(fetched, hub.downloads.size(), "a complete snapshot is not fetched again");

        // Offline: the cache alone answers, even with the hub gone.
        hub.close();
        assertEquals(snapshot, downloader(Map.of("HF_HUB_OFFLINE", "1")).snapshot(REPO, "main"));
    }

    @Test
    void offlineWithoutACacheIsAClearError() {
        HubException e = assertThrows(HubException.class, () -> downloader(Map.of("HF_HUB_OFFLINE", "1")).snapshot(REPO, "main"));
        assertTrue(e.getMessage().contains("HF_HUB_OFFLINE"), e.getMessage());
    }

    @Test
    void resumesAPartialDownload() throws Exception {
        byte[] weights = Files.readAllBytes(Fixtures.stories260k().resolve("model.safetensors"));
        Path partial = repoDir().resolve("blobs/" + FakeHub.sha256(weights) + ".incomplete");
        Files.createDirectories(partial.getParent());
        Files.write(partial, Arrays.copyOf(weights, 1000));
        Path snapshot = downloader(Map.of()).snapshot(REPO, "main");
        assertTrue(hub.downloads.contains("model.safetensors bytes=1000-"), hub.downloads.toString());
        assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertFalse(Files.exists(partial));
    }

    @Test
    void tokenAndHashChecks() throws Exception {
        hub.requiredToken = "hf_secret";
        HubException refused = assertThrows(HubException.class, () -> downloader(Map.of()).snapshot(REPO, "main"));
        assertTrue(refused.getMessage().contains("HF_TOKEN"), refused.getMessage());

        hub.corrupt = true;
        HubException bad = assertThrows(HubException.class, () -> downloader(Map.of("HF_TOKEN", "hf_secret")).snapshot(REPO, "main"));
        assertTrue(bad.getMessage().contains("model.safetensors: the download's hash"), bad.getMessage());

        hub.corrupt = false;
        Path snapshot = downloader(Map.of("HF_TOKEN", "hf_secret")).snapshot(REPO, "main");
        assertArrayEquals(Files.readAllBytes(Fixtures.stories260k().resolve("model.safetensors")), Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertThrows(HubException.class, () -> downloader(Map.of("HF_TOKEN", "hf_secret")).snapshot("karpathy/nope", "main"));
        assertThrows(HubException.class, () -> downloader(Map.of()).snapshot("../etc", "main"));
    }
}
