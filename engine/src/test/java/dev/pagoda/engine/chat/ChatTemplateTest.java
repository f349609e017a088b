package dev.pagoda.engine.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.chat.jinja.RenderLimits;
import dev.pagoda.engine.chat.jinja.TemplateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatTemplateTest {
    private static final List<Map<String, Object>> CHAT = List.of(Map.of("role", "user", "content", "hi"));

    private static Path config(Path dir, String json) throws IOException {
        Path f = dir.resolve("tokenizer_config.json");
        Files.writeString(f, json);
        return f;
    }

    @Test
    void namedTemplatesPickToolUseOnlyWhenToolsAreGiven(@TempDir Path dir) throws IOException {
        Path f = config(dir, """
                {"chat_template": [{"name": "default", "template": "D{{ tools }}"}, {"name": "tool_use", "template": "T{{ tools|length }}"}]}""");
        ChatTemplate t = ChatTemplate.fromTokenizerDir(dir);
        assertEquals("DNone", t.render(CHAT, null, false));
        assertEquals("T1", t.render(CHAT, List.of(Map.of("type", "function")), false));
    }

    @Test
    void namedTemplatesWithoutDefaultFailClearly(@TempDir Path dir) throws IOException {
        Path f = config(dir, "{\"chat_template\": [{\"name\": \"rag\", \"template\": \"R\"}]}");
        ChatTemplate t = ChatTemplate.fromTokenizerDir(dir);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.render(CHAT, null, false));
        assertTrue(e.getMessage().contains("rag"), e.getMessage());
    }

    @Test
    void specialTokensMayBeStringsOrAddedTokenObjects(@TempDir Path dir) throws IOException {
        Path f = config(dir, """
                {"bos_token": {"content": "<|begin|>", "lstrip": false, "normalized": false}, "eos_token": "<|end|>",
                 "unk_token": null, "add_bos_token": true, "chat_template": "{{ bos_token }}{{ eos_token }}{{ unk_token is defined }}{{ add_bos_token is defined }}"}""");
        ChatTemplate t = ChatTemplate.fromTokenizerDir(dir);
        assertEquals(Map.of("bos_token", "<|begin|>", "eos_token", "<|end|>"), t.specialTokens());
        assertEquals("<|begin|><|end|>FalseFalse", t.render(CHAT, null, false));
    }

    @Test
    void generationPromptDocumentsAndExtraVariables() {
        ChatTemplate t = ChatTemplate.of("{{ add_generation_prompt }} {{ documents }} {{ enable_thinking }} {{ strftime_now('%d %b %Y') }}", Map.of());
        String out = t.render(CHAT, null, true, Map.of("enable_thinking", false), RenderLimits.DEFAULT, () -> LocalDateTime.of(2024, 7, 26, 0, 0));
        assertEquals("True None False 26 Jul 2024", out);
    }

    @Test
    void standaloneTemplateFilesTakePriorityAsInTransformers(@TempDir Path dir) throws IOException {
        config(dir, "{\"eos_token\": \"</s>\", \"chat_template\": \"from config\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "from file{{ eos_token }}\n");
        assertEquals("from file</s>", ChatTemplate.fromTokenizerDir(dir).render(CHAT, null, false));
        Files.createDirectories(dir.resolve("additional_chat_templates"));
        Files.writeString(dir.resolve("additional_chat_templates/tool_use.jinja"), "tools: {{ tools|length }}");
        ChatTemplate t = ChatTemplate.fromTokenizerDir(dir);
        assertEquals("tools: 1", t.render(CHAT, List.of(Map.of()), false));
        assertEquals("from file</s>", t.render(CHAT, null, false));
        assertEquals("override", ChatTemplate.fromTokenizerDir(dir, "override").render(CHAT, null, false));
    }

    @Test
    void badConfigsNameTheFile(@TempDir Path dir) throws IOException {
        Path none = config(dir, "{\"bos_token\": \"<s>\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.fromTokenizerDir(dir));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("chat_template"), e.getMessage());
        Path broken = config(dir, "{\"chat_template\": \"{% for %}\"}");
        TemplateException te = assertThrows(TemplateException.class, () -> ChatTemplate.fromTokenizerDir(dir));
        assertTrue(te.getMessage().contains("tokenizer_config.json"), te.getMessage());
        Path notJson = config(dir, "{");
        assertThrows(IllegalArgumentException.class, () -> ChatTemplate.fromTokenizerDir(dir));
    }
}
