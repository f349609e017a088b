package dev.pagoda.server.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What must never appear in the main code, checked on the sources of every module (a new file that
 * brings it in fails here):
 * <ul>
 *   <li>Java deserialization or polymorphic typing of request or model data (the classic gadget-chain RCE);</li>
 *   <li>a regular expression on the request path (stop strings are literal; a pattern built from request
 *       text could backtrack catastrophically);</li>
 *   <li>a way out of the Jinja sandbox: reflection, files, processes in the chat template interpreter.</li>
 * </ul>
 */
class CodeSafetyTest {
    private static final Path ROOT = Path.of("..");

    private static List<Path> mainSources(String... dirs) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String d : dirs) {
            Path dir = ROOT.resolve(d);
            if (!Files.isDirectory(dir)) throw new AssertionError("no such source directory: " + dir.toAbsolutePath());
            try (Stream<Path> files = Files.walk(dir)) {
                files.filter(p -> p.toString().endsWith(".java")).forEach(out::add);
            }
        }
        assertTrue(out.size() > 10, "found too few sources: " + out.size());
        return out;
    }

    /** Every {@code file:line} whose code (comments aside) contains one of {@code needles}. */
    private static List<String> find(List<Path> files, List<String> needles) throws IOException {
        List<String> hits = new ArrayList<>();
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
                String code = lines.get(i).strip();
                if (code.startsWith("*") || code.startsWith("//") || code.startsWith("/*")) continue;
                for (String n : needles) if (code.contains(n)) hits.add(ROOT.relativize(f) + ":" + (i + 1) + " " + n);
            }
        }
        return hits;
    }

    @Test
    void noJavaDeserializationNorPolymorphicTyping() throws IOException {
        List<Path> all = mainSources("engine/src/main/java", "backend-cpu/src/main/java", "backend-cuda/src/main/java", "http/src/main/java");
        List<String> hits = find(all, List.of("ObjectInputStream", "ObjectInput ", "XMLDecoder", "readUnshared(", "enableDefaultTyping",
                "activateDefaultTyping", "JsonTypeInfo", "JsonSubTypes", "PolymorphicTypeValidator"));
        assertTrue(hits.isEmpty(), "deserialization or polymorphic typing in main code:\n" + String.join("\n", hits));
    }

    @Test
    void noRegularExpressionsOnTheRequestPath() throws IOException {
        List<Path> requestPath = mainSources("http/src/main/java/dev/pagoda/server", "engine/src/main/java/dev/pagoda/engine/sampling",
                "engine/src/main/java/dev/pagoda/engine/engine", "engine/src/main/java/dev/pagoda/engine/scheduler");
        List<String> hits = find(requestPath, List.of("java.util.regex", "Pattern.compile", ".matches(", ".replaceAll(", ".replaceFirst(", "String.split(",
                ".splitAsStream("));
        // A constant newline split of our own log text is no regex engine risk; anything else is.
        hits.removeIf(h -> h.startsWith("http/src/main/java/dev/pagoda/server/CudaStartup.java"));
        assertTrue(hits.isEmpty(), "regular expressions on the request path (stop strings must stay literal):\n" + String.join("\n", hits));
    }

    @Test
    void theTemplateInterpreterHasNoWayOut() throws IOException {
        List<Path> jinja = mainSources("engine/src/main/java/dev/pagoda/engine/chat");
        List<String> hits = find(jinja, List.of("java.lang.reflect", "Class.forName", "java.io.File", "java.nio.file", "ProcessBuilder",
                "Runtime.getRuntime", "System.getenv", "System.getProperty", "MethodHandles", "java.net."));
        // ChatTemplate.fromTokenizerDir reads the operator's model directory at start-up, not at render time.
        hits.removeIf(h -> h.startsWith("engine/src/main/java/dev/pagoda/engine/chat/ChatTemplate.java") && h.endsWith("java.nio.file"));
        assertTrue(hits.isEmpty(), "the Jinja interpreter reaches outside its data:\n" + String.join("\n", hits));
    }
}
