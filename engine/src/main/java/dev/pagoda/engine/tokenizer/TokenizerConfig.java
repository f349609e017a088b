package dev.pagoda.engine.tokenizer;

import dev.pagoda.engine.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * What an inference engine needs from {@code tokenizer_config.json} (transformers' settings file
 * beside {@code tokenizer.json}); every field is optional.
 *
 * @param bosToken the BOS token string, or null
 * @param eosToken the EOS token string, or null
 * @param addBosToken transformers' {@code add_bos_token}, or null when absent
 * @param chatTemplate the Jinja chat template, or null (a named-template list keeps its "default")
 * @param cleanUpTokenizationSpaces transformers' {@code clean_up_tokenization_spaces}
 * @param spacesBetweenSpecialTokens transformers' {@code spaces_between_special_tokens} (slow tokenizers)
 */
public record TokenizerConfig(String bosToken, String eosToken, Boolean addBosToken, String chatTemplate,
                              boolean cleanUpTokenizationSpaces, boolean spacesBetweenSpecialTokens) {
    public static final TokenizerConfig EMPTY = new TokenizerConfig(null, null, null, null, false, false);

    /** Reads {@code dir/tokenizer_config.json}, or {@link #EMPTY} if there is none. */
    public static TokenizerConfig load(Path dir) {
        Path file = dir.resolve("tokenizer_config.json");
        if (!Files.exists(file)) return EMPTY;
        try {
            return fromJson(Json.parseObject(Files.readString(file)), file.toString());
        } catch (IOException e) {
            throw new TokenizerException("cannot read " + file + ": " + e.getMessage());
        }
    }

    static TokenizerConfig fromJson(Map<String, Object> m, String file) {
        String template = null;
        Object t = m.get("chat_template");
        if (t instanceof String s) template = s;
        else if (t instanceof java.util.List<?> named) { // [{"name": "default", "template": "..."}, ...]
            for (Object o : named) {
                if (o instanceof Map<?, ?> e && "default".equals(e.get("name")) && e.get("template") instanceof String s) template = s;
            }
        } else if (t != null) {
            throw new TokenizerException(file + ": chat_template must be a string or a list of named templates");
        }
        return new TokenizerConfig(tokenString(m.get("bos_token")), tokenString(m.get("eos_token")),
                m.get("add_bos_token") instanceof Boolean b ? b : null, template,
                Boolean.TRUE.equals(m.get("clean_up_tokenization_spaces")),
                Boolean.TRUE.equals(m.get("spaces_between_special_tokens")));
    }

    /** A token is written as a string or as an AddedToken object {@code {"content": ...}}. */
    private static String tokenString(Object o) {
        if (o instanceof String s) return s;
        if (o instanceof Map<?, ?> m && m.get("content") instanceof String s) return s;
        return null;
    }
}
