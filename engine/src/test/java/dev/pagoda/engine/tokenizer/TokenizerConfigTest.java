package dev.pagoda.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenizer_config.json: the fields the engine reads, in the shapes real files use. */
class TokenizerConfigTest {
    @TempDir
    Path tmp;

    @Test
    void readsTokensAsStringsOrObjectsAndNamedTemplates() throws IOException {
        Files.writeString(tmp.resolve("tokenizer_config.json"), """
                {"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "add_bos_token": true,
                 "clean_up_tokenization_spaces": true,
                 "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}
                """);
        TokenizerConfig c = TokenizerConfig.load(tmp);
        assertEquals("<s>", c.bosToken());
        assertEquals("</s>", c.eosToken());
        assertEquals(Boolean.TRUE, c.addBosToken());
        assertEquals("D", c.chatTemplate());
        assertTrue(c.cleanUpTokenizationSpaces());
    }

    @Test
    void realFilesGiveBosAndEosIds() {
        Tokenizer llama = HfOracle.ours("llama3_1");
        assertEquals(OptionalInt.of(128000), llama.bosTokenId());
        assertEquals(List.of(128009), llama.eosTokenIds()); // <|eot_id|>
        Tokenizer qwen = HfOracle.ours("qwen3");
        assertEquals(OptionalInt.empty(), qwen.bosTokenId());
        assertEquals(List.of(151645), qwen.eosTokenIds()); // <|im_end|>
        assertTrue(qwen.config().chatTemplate().contains("<|im_start|>"));
    }

    @Test
    void missingConfigIsEmpty() throws IOException {
        Files.writeString(tmp.resolve("tokenizer.json"), Json.write(Json.parse(Files.readString(HfOracle.dir("stories260k").resolve("tokenizer.json")))));
        Tokenizer t = Tokenizer.fromDirectory(tmp);
        assertEquals(OptionalInt.empty(), t.bosTokenId());
        assertEquals(List.of(), t.eosTokenIds());
        assertNull(t.config().chatTemplate());
    }

    @Test
    void cleanUpTokenizationSpacesAsTransformers() {
        assertEquals("Hello, world. I'm here! Isn't it?", Tokenizer.cleanUpTokenizationSpaces("Hello , world . I 'm here ! Is n't it ?"));
    }
}
