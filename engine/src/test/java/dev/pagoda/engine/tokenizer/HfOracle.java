package dev.pagoda.engine.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reference: Hugging Face's Rust {@code tokenizers} (through DJL's JNI binding) on the same
 * {@code tokenizer.json}, plus our tokenizer for the same name. Both are loaded once per JVM.
 */
final class HfOracle {
    /** The nine fetched tokenizers; stories260K (bundled) is {@link #STORIES}. */
    static final List<String> FETCHED = List.of("gpt2", "llama3", "llama3_1", "llama3_2", "qwen2_5", "qwen3",
            "mistral_7b_v0_1", "mistral_nemo", "gemma3");
    static final String STORIES = "stories260k";
    static final List<String> ALL = concat(FETCHED, STORIES);

    private static final Map<String, Tokenizer> OURS = new ConcurrentHashMap<>();
    private static final Map<String, HuggingFaceTokenizer> THEIRS = new ConcurrentHashMap<>();

    private HfOracle() {}

    static Path dir(String name) {
        return name.equals(STORIES) ? Fixtures.stories260k() : Fixtures.fetched("tokenizers/" + name);
    }

    static Tokenizer ours(String name) {
        return OURS.computeIfAbsent(name, n -> Tokenizer.fromDirectory(dir(n)));
    }

    static HuggingFaceTokenizer theirs(String name) {
        return THEIRS.computeIfAbsent(name, n -> {
            try {
                // The tokenizer.json alone, with no truncation or padding: exactly what Rust's Tokenizer::from_file does.
                return HuggingFaceTokenizer.newInstance(dir(n).resolve("tokenizer.json"),
                        Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static int[] encode(String name, String text, boolean addSpecialTokens) {
        long[] ids = theirs(name).encode(text, addSpecialTokens, false).getIds();
        return Arrays.stream(ids).mapToInt(Math::toIntExact).toArray();
    }

    static String decode(String name, int[] ids, boolean skipSpecialTokens) {
        return theirs(name).decode(Arrays.stream(ids).asLongStream().toArray(), skipSpecialTokens);
    }

    private static List<String> concat(List<String> list, String extra) {
        return java.util.stream.Stream.concat(list.stream(), java.util.stream.Stream.of(extra)).toList();
    }
}
