package dev.pagoda.engine.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Where tests find their data.
 *
 * <ul>
 *   <li>{@link #repo(String)}: files in this repository (the bundled default model, goldens).
 *   <li>{@link #shared(String)}: {@code ../shared/fixtures} beside the checkout (golden vectors, chat templates).
 *   <li>{@link #fetched(String)}: what {@code ./pagoda fetch-fixtures} put in {@code ~/.cache/pagoda-fixtures}
 *       (real tokenizers, the SOTU corpus).
 * </ul>
 * A missing fixture skips the test on a developer machine, but fails it when {@code CI=true}:
 * CI must never pass by silently skipping.
 */
public final class Fixtures {
    private Fixtures() {}

    public static Path repoRoot() {
        String root = System.getProperty("pagoda.repoRoot");
        if (root != null) return Path.of(root);
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("pagoda"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("cannot find the repository root from " + Path.of("").toAbsolutePath());
        return p;
    }

    /** A path inside the repository; it must exist. */
    public static Path repo(String relative) {
        Path p = repoRoot().resolve(relative);
        if (!Files.exists(p)) throw new IllegalStateException("missing repository file " + p);
        return p;
    }

    /** The bundled default model, stories260K. */
    public static Path stories260k() {
        return repo("models/stories260k");
    }

    /** A path under ../shared/fixtures. */
    public static Path shared(String relative) {
        String base = System.getProperty("pagoda.sharedFixtures", repoRoot().resolve("../shared/fixtures").toString());
        return require(Path.of(base).resolve(relative).normalize(), "the shared fixtures beside the checkout");
    }

    /** A path under the fetched-fixtures cache. */
    public static Path fetched(String relative) {
        String base = System.getProperty("pagoda.fetchedFixtures", System.getProperty("user.home") + "/.cache/pagoda-fixtures");
        return require(Path.of(base).resolve(relative), "the fetched fixtures (run ./pagoda fetch-fixtures)");
    }

    private static Path require(Path p, String what) {
        if (Files.exists(p)) return p;
        String message = "missing fixture " + p + " from " + what;
        if ("true".equals(System.getenv("CI"))) throw new IllegalStateException(message + "; CI never skips a test for a missing fixture");
        Assumptions.abort(message);
        return p;
    }
}
