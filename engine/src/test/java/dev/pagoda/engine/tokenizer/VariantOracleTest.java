package dev.pagoda.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.pagoda.engine.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Features the nine real files do not exercise, checked against Hugging Face on variants of them:
 * added tokens with lstrip/rstrip/single_word/normalized, Metaspace, Digits, every Split behavior,
 * other normalizers and templates with EOS. Small bases (GPT-2, stories260K) keep it quick.
 */
class VariantOracleTest {
    @TempDir
    Path tmp;

    private static final List<String> EXTRA = List.of("a <mask>  b", "x  <mask>y", "<R>   z", "[WORD] x[WORD]y [WORD]", "HELLO WORLD, Hello World",
            "say hello world now", "ab12345cd 6 7", "a  b   c", " leading and trailing ", "The Year 2024 had 366 days.");

    @SuppressWarnings("unchecked")
    private Map<String, Object> load(String name) throws IOException {
        return (Map<String, Object>) Json.parse(Files.readString(HfOracle.dir(name).resolve("tokenizer.json")));
    }

    /** Writes a modified copy of a real tokenizer.json and compares ours with Hugging Face's on the torture set. */
    private void check(String label, String base, Consumer<Map<String, Object>> change) throws IOException {
        Map<String, Object> json = load(base);
        change.accept(json);
        Path dir = Files.createDirectories(tmp.resolve(label));
        Files.writeString(dir.resolve("tokenizer.json"), Json.write(json));
        Tokenizer ours = Tokenizer.fromDirectory(dir);
        List<String> texts = new ArrayList<>(OracleTortureTest.torture());
        texts.addAll(EXTRA);
        try (HuggingFaceTokenizer theirs = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                Map.of("truncation", "false", "padding", "false"))) {
            for (String text : texts) {
                for (boolean special : new boolean[] {false, true}) {
                    int[] expected = Arrays.stream(theirs.encode(text, special, false).getIds()).mapToInt(Math::toIntExact).toArray();
                    assertArrayEquals(expected, ours.encode(text, special), () -> label + " encode " + Json.write(text) + " special=" + special);
                    assertEquals(theirs.decode(Arrays.stream(expected).asLongStream().toArray(), false), ours.decode(expected, false),
                            () -> label + " decode of " + Json.write(text));
                }
            }
        }
    }

    private static Map<String, Object> obj(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private static Map<String, Object> added(long id, String content, boolean lstrip, boolean rstrip, boolean singleWord, boolean normalized, boolean special) {
        return obj("id", id, "content", content, "single_word", singleWord, "lstrip", lstrip, "rstrip", rstrip, "normalized", normalized, "special", special);
    }

    @Test
    @SuppressWarnings("unchecked")
    void addedTokenOptions() throws IOException {
        check("added", "gpt2", j -> {
            List<Object> list = new ArrayList<>((List<Object>) j.get("added_tokens"));
            list.add(added(50257, "<mask>", true, false, false, false, true));
            list.add(added(50258, "<R>", false, true, false, false, true));
            list.add(added(50259, "[WORD]", false, false, true, false, false));
            list.add(added(50260, "hello world", false, false, false, true, false));
            list.add(added(50261, "<s>", true, true, false, false, true));
            j.put("added_tokens", list);
            j.put("normalizer", obj("type", "Lowercase"));
        });
    }

    @Test
    void metaspacePreTokenizer() throws IOException {
        for (String scheme : List.of("always", "first", "never")) {
            for (boolean split : new boolean[] {true, false}) {
                check("metaspace-" + scheme + "-" + split, "stories260k", j -> {
                    j.put("normalizer", null);
                    j.put("pre_tokenizer", obj("type", "Metaspace", "replacement", "▁", "prepend_scheme", scheme, "split", split));
                    j.put("decoder", obj("type", "Metaspace", "replacement", "▁", "prepend_scheme", scheme, "split", split));
                });
            }
        }
    }

    @Test
    void digitsAndSplitBehaviors() throws IOException {
        for (boolean individual : new boolean[] {true, false}) {
            check("digits-" + individual, "gpt2", j -> j.put("pre_tokenizer", obj("type", "Sequence", "pretokenizers", List.of(
                    obj("type", "Digits", "individual_digits", individual),
                    obj("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", true, "use_regex", true)))));
        }
        for (String behavior : List.of("Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous")) {
            for (boolean invert : new boolean[] {false, true}) {
                check("split-" + behavior + "-" + invert, "gpt2", j -> j.put("pre_tokenizer", obj("type", "Sequence", "pretokenizers", List.of(
                        obj("type", "Split", "pattern", obj("Regex", "\\s+|\\d"), "behavior", behavior, "invert", invert),
                        obj("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false, "use_regex", false)))));
            }
        }
    }

    @Test
    void normalizersAndTemplates() throws IOException {
        check("nfkc-strip", "gpt2", j -> j.put("normalizer", obj("type", "Sequence", "normalizers", List.of(
                obj("type", "NFKC"), obj("type", "Strip", "strip_left", true, "strip_right", true)))));
        check("nfd-replace", "gpt2", j -> j.put("normalizer", obj("type", "Sequence", "normalizers", List.of(
                obj("type", "NFD"), obj("type", "Replace", "pattern", obj("Regex", "\\d+"), "content", "#")))));
        check("eos-template", "llama3_1", j -> j.put("post_processor", obj("type", "TemplateProcessing",
                "single", List.of(obj("SpecialToken", obj("id", "<|begin_of_text|>", "type_id", 0L)), obj("Sequence", obj("id", "A", "type_id", 0L)),
                        obj("SpecialToken", obj("id", "<|end_of_text|>", "type_id", 0L))),
                "pair", List.of(obj("Sequence", obj("id", "A", "type_id", 0L)), obj("Sequence", obj("id", "B", "type_id", 1L))),
                "special_tokens", obj("<|begin_of_text|>", obj("id", "<|begin_of_text|>", "ids", List.of(128000L), "tokens", List.of("<|begin_of_text|>")),
                        "<|end_of_text|>", obj("id", "<|end_of_text|>", "ids", List.of(128001L), "tokens", List.of("<|end_of_text|>"))))));
        check("gpt2-prefix-space", "gpt2", j -> j.put("pre_tokenizer", obj("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", true, "use_regex", true)));
    }
}
