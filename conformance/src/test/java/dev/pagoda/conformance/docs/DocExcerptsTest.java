package dev.pagoda.conformance.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.testing.Fixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The docs' code excerpts are the code: fails, naming the excerpt, when a tagged region changed or
 * disappeared. To rewrite the excerpts from the code: {@code scripts/docs/update-excerpts.sh}
 * (this test with {@code -Dpagoda.docs.update=true}).
 */
class DocExcerptsTest {
    /** The docs whose excerpts are checked. */
    static final List<String> DOCS = List.of("docs/paged-attention.md");

    private static final Pattern LINK = Pattern.compile("\\]\\(([^)#\\s]+)(#[^)]*)?\\)");

    @Test
    void docsMatchTheCode() throws Exception {
        Path root = Fixtures.repo(".");
        boolean update = Boolean.getBoolean("pagoda.docs.update");
        List<String> problems = new ArrayList<>();
        for (String name : DOCS) {
            Path doc = root.resolve(name);
            if (update) Files.writeString(doc, DocExcerpts.update(root, doc), StandardCharsets.UTF_8);
            problems.addAll(DocExcerpts.check(root, doc));
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems)
                + "\nIf the code change is right, rewrite the excerpts with scripts/docs/update-excerpts.sh and reread the prose around them.");
    }

    @Test
    void docsLinkOnlyToFilesThatExist() throws Exception {
        Path root = Fixtures.repo(".");
        List<String> broken = new ArrayList<>();
        for (String name : List.of("docs/paged-attention.md", "README.md")) {
            Path doc = root.resolve(name);
            Matcher m = LINK.matcher(Files.readString(doc));
            while (m.find()) {
                String target = m.group(1);
                if (target.contains("://") || target.startsWith("mailto:")) continue;
                if (!Files.exists(doc.getParent().resolve(target))) broken.add(name + " links to " + target + ", which does not exist");
            }
        }
        assertTrue(broken.isEmpty(), String.join("\n", broken));
    }

    // The checker itself, on a small made-up repository.

    private static Path write(Path p, String text) throws Exception {
        Files.createDirectories(p.getParent());
        return Files.writeString(p, text, StandardCharsets.UTF_8);
    }

    private static final String CODE = """
            class A {
                // region: twice
                int twice(int x) {
                    return 2 * x;
                }
                // endregion
            }
            """;

    @Test
    void aChangedExcerptIsNamedWithItsFirstDifference(@TempDir Path root) throws Exception {
        write(root.resolve("src/A.java"), CODE);
        Path doc = write(root.resolve("docs/a.md"), """
                Text.
                <!-- excerpt: src/A.java#twice -->
                ```java
                int twice(int x) {
                    return 2 * x;
                }
                ```
                """);
        assertEquals(List.of(), DocExcerpts.check(root, doc));

        write(root.resolve("src/A.java"), CODE.replace("2 * x", "x + x"));
        assertEquals(List.of("docs/a.md:2: excerpt src/A.java#twice no longer matches the code "
                + "(excerpt line 2: doc has 'return 2 * x;', code has 'return x + x;')"), DocExcerpts.check(root, doc));

        Files.writeString(doc, DocExcerpts.update(root, doc));
        assertEquals(List.of(), DocExcerpts.check(root, doc));
        assertTrue(Files.readString(doc).contains("    return x + x;\n"));
    }

    @Test
    void aMissingRegionOrFileIsNamed(@TempDir Path root) throws Exception {
        write(root.resolve("src/A.java"), CODE.replace("// region: twice", "// region: double"));
        Path doc = write(root.resolve("docs/a.md"), "<!-- excerpt: src/A.java#twice -->\n```java\nx\n```\n"
                + "<!-- excerpt: src/B.java#b -->\n```java\ny\n```\n");
        assertEquals(List.of(
                "docs/a.md:1: excerpt src/A.java#twice: region 'twice' is not tagged in src/A.java (add // region: twice … // endregion around the code)",
                "docs/a.md:5: excerpt src/B.java#b: no such file src/B.java"), DocExcerpts.check(root, doc));
        assertThrows(DocExcerpts.RegionException.class, () -> DocExcerpts.update(root, doc));
    }

    @Test
    void regionsMayNestAndMustClose(@TempDir Path root) throws Exception {
        write(root.resolve("src/N.cu"), "// region: outer\na();\n    // region: inner\n    b();\n    // endregion\nc();\n// endregion\n// region: open\nd();\n");
        assertEquals("a();\n    b();\nc();", DocExcerpts.region(root, "src/N.cu", "outer"));
        assertEquals("b();", DocExcerpts.region(root, "src/N.cu", "inner"));
        DocExcerpts.RegionException e = assertThrows(DocExcerpts.RegionException.class, () -> DocExcerpts.region(root, "src/N.cu", "open"));
        assertEquals("src/N.cu:8: region 'open' has no // endregion", e.getMessage());
    }
}
