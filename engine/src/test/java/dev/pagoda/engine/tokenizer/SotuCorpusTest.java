package dev.pagoda.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The whole State of the Union corpus (233 addresses, 11 MB), each address encoded as one text
 * (with and without special tokens, alternating) by every tokenizer.
 *
 * <p>The Rust oracle needs about 15 s per tokenizer on the 2-core CI machine (≈160 s for all ten),
 * so CI checks the whole corpus against digests the oracle recorded
 * ({@code tokenizer/sotu-oracle-digests.txt}: id count and SHA-256 of all ids per tokenizer), and
 * compares with the live oracle on every 24th address. To re-record (and compare the whole corpus
 * live, address by address): {@code -Dpagoda.tokenizer.recordOracle=true -Dtest=SotuCorpusTest}.
 */
class SotuCorpusTest {
    static final List<String> TOKENIZERS = HfOracle.ALL;
    static final String DIGESTS = "engine/src/test/resources/tokenizer/sotu-oracle-digests.txt";

    static List<String> corpus() throws IOException {
        try (Stream<Path> files = Files.list(Fixtures.fetched("corpus/sotu"))) {
            List<Path> paths = files.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
            List<String> texts = new java.util.ArrayList<>();
            for (Path p : paths) texts.add(Files.readString(p));
            assertEquals(233, texts.size(), "SOTU corpus size");
            return texts;
        }
    }

    /** "count sha256" of the ids of the whole corpus, address i with special tokens when i is even. */
    static String digest(List<String> texts, BiFunction<String, Boolean, int[]> encode) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long count = 0;
            for (int i = 0; i < texts.size(); i++) {
                int[] ids = encode.apply(texts.get(i), i % 2 == 0);
                ByteBuffer b = ByteBuffer.allocate(4 * ids.length);
                for (int id : ids) b.putInt(id);
                sha.update(b.array());
                count += ids.length;
            }
            return count + " " + HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, String> recorded() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Fixtures.repo(DIGESTS))) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] f = line.split(" ", 2);
            m.put(f[0], f[1]);
        }
        return m;
    }

    @ParameterizedTest
    @FieldSource("TOKENIZERS")
    void wholeCorpusMatchesTheRecordedOracleIds(String name) throws IOException {
        Tokenizer t = HfOracle.ours(name);
        String expected = recorded().get(name);
        assertNotNull(expected, "no recorded oracle digest for " + name);
        assertEquals(expected, digest(corpus(), t::encode), name + ": ids over the SOTU corpus differ from Hugging Face's");
    }

    @ParameterizedTest
    @FieldSource("TOKENIZERS")
    void sampleMatchesTheLiveOracle(String name) throws IOException {
        List<String> texts = corpus();
        for (int i = 0; i < texts.size(); i += 24) compareLive(name, texts, i);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES) // about 3 minutes on 2 cores; 7 when the machine is shared
    @EnabledIfSystemProperty(named = "pagoda.tokenizer.recordOracle", matches = "true")
    void recordOracleDigests() throws IOException {
        List<String> texts = corpus();
        StringBuilder out = new StringBuilder("# SOTU corpus (233 addresses, sorted by file name; address i encoded with special tokens when i is even):\n"
                + "# tokenizer, id count, SHA-256 of all ids as big-endian int32, from Hugging Face tokenizers (DJL "
                + "ai.djl.huggingface:tokenizers). Re-record: ./pagoda mvn -pl engine -am test -Dtest=SotuCorpusTest "
                + "-Dpagoda.tokenizer.recordOracle=true -Dsurefire.failIfNoSpecifiedTests=false\n");
        for (String name : TOKENIZERS) {
            for (int i = 0; i < texts.size(); i++) compareLive(name, texts, i);
            out.append(name).append(' ').append(digest(texts, (text, special) -> HfOracle.encode(name, text, special))).append('\n');
        }
        Files.writeString(Fixtures.repoRoot().resolve(DIGESTS), out);
    }

    private static void compareLive(String name, List<String> texts, int i) {
        String text = texts.get(i);
        boolean special = i % 2 == 0;
        int[] expected = HfOracle.encode(name, text, special);
        int[] actual = HfOracle.ours(name).encode(text, special);
        if (!Arrays.equals(expected, actual)) {
            int k = Arrays.mismatch(expected, actual);
            fail(name + " differs on SOTU address " + i + " at id index " + k + ": expected "
                    + Arrays.toString(Arrays.copyOfRange(expected, Math.max(0, k - 3), Math.min(expected.length, k + 5)))
                    + " actual " + Arrays.toString(Arrays.copyOfRange(actual, Math.max(0, k - 3), Math.min(actual.length, k + 5))));
        }
        if (i % 24 == 0) assertEquals(HfOracle.decode(name, expected, true), HfOracle.ours(name).decode(expected, true), name + " decode of SOTU address " + i);
    }
}
