package dev.pagoda.conformance.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime image of {@code scripts/package/jlink-image.sh} (what {@code ./pagoda package} and the
 * Dockerfiles build) runs: {@code bin/pagoda --version}, {@code generate} and {@code explain-memory}
 * from the image alone. In the ordinary build it checks the fast part (the layout, launcher, jars
 * and bundled model, with {@code PAGODA_JLINK=0}: bin/java is the build JDK's); the full jlink
 * (about a minute on two cores) runs with {@code -Dpagoda.package.full=true}.
 *
 * <p>Needs the packaged jars of {@code http} ({@code ./pagoda build}, or the reactor's {@code verify},
 * which packages http before conformance's tests run); skipped without them, failed under CI.
 */
class RuntimeImageTest {

    private record Run(int status, String out) {}

    private static Run run(Path dir, List<String> command, String... env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        for (int i = 0; i < env.length; i += 2) pb.environment().put(env[i], env[i + 1]);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Run(p.exitValue(), out);
    }

    @Test
    void theImageRunsOnItsOwn(@TempDir Path tmp) throws Exception {
        Path root = Fixtures.repo(".").toAbsolutePath().normalize();
        boolean built = Files.isRegularFile(root.resolve("http/target/runtime-classpath.txt"));
        if (!built && "true".equals(System.getenv("CI"))) throw new AssertionError("http is not packaged: run the reactor's verify");
        Assumptions.assumeTrue(built, "http is not packaged (./pagoda build); skipping the runtime image check");
        boolean full = Boolean.getBoolean("pagoda.package.full");

        Path image = tmp.resolve("image");
        Run build = run(root, List.of(root.resolve("scripts/package/jlink-image.sh").toString(), image.toString()),
                "PAGODA_SKIP_BUILD", "1", "PAGODA_SMOKE_TEST", "0", "PAGODA_JLINK", full ? "1" : "0");
        assertEquals(0, build.status(), build.out());
        assertTrue(Files.isDirectory(image.resolve("models/stories260k")), "the bundled model is in the image");
        if (full) assertTrue(Files.isRegularFile(image.resolve("lib/modules")), "a jlinked JDK is in the image");

        // Run from elsewhere (the temp dir), so nothing of the repository is used.
        String pagoda = image.resolve("bin/pagoda").toString();
        Run version = run(tmp, List.of(pagoda, "--version"));
        assertEquals(0, version.status(), version.out());
        assertTrue(version.out().contains("pagoda "), version.out());

        Run generate = run(tmp, new ArrayList<>(List.of(pagoda, "generate", "--prompt", "Once upon a time", "--max-tokens", "4",
                "--threads", "1")));
        assertEquals(0, generate.status(), generate.out());
        assertTrue(generate.out().endsWith(", there was a\n"), generate.out()); // llama2.c's first 4 tokens (GenerateCommandTest)

        Run memory = run(tmp, List.of(pagoda, "explain-memory"));
        assertEquals(0, memory.status(), memory.out());
        assertTrue(memory.out().contains("memory plan: KV cache: 8192 blocks of 16 tokens"), memory.out());
    }
}
