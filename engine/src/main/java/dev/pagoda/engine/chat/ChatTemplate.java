package dev.pagoda.engine.chat;

import dev.pagoda.engine.chat.jinja.RenderLimits;
import dev.pagoda.engine.chat.jinja.Template;
import dev.pagoda.engine.chat.jinja.TemplateException;
import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.json.JsonException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A model's chat template, rendered as Hugging Face's {@code tokenizer.apply_chat_template(...,
 * tokenize=False)} does: the template sees {@code messages}, {@code tools} (None when absent),
 * {@code documents} (None), {@code add_generation_prompt}, the tokenizer's special tokens
 * ({@code bos_token}, {@code eos_token}, ...) and any extra variables (e.g. {@code enable_thinking}).
 *
 * <p>{@code tokenizer_config.json} may hold one template string, or a list of
 * {@code {"name", "template"}}: then {@code tool_use} is chosen when tools are given and the model
 * has one, else {@code default}, as transformers does.
 */
public final class ChatTemplate {
    private final Map<String, Template> templates;
    private final Map<String, String> specialTokens;

    private ChatTemplate(Map<String, Template> templates, Map<String, String> specialTokens) {
        this.templates = templates;
        this.specialTokens = Map.copyOf(specialTokens);
    }

    /** One template source with the given special tokens (e.g. {@code bos_token -> "<s>"}). */
    public static ChatTemplate of(String source, Map<String, String> specialTokens) {
        return new ChatTemplate(Map.of("default", Template.parse(source)), specialTokens);
    }

    /** The template and special tokens of {@code DIR/tokenizer_config.json}. */
    public static ChatTemplate fromTokenizerDir(Path dir) throws IOException {
        return fromTokenizerConfig(dir.resolve("tokenizer_config.json"), null);
    }

    /**
     * Reads {@code tokenizer_config.json}; {@code overrideSource}, when not null, replaces its chat
     * template (the {@code --chat-template FILE} case) while keeping its special tokens.
     */
    public static ChatTemplate fromTokenizerConfig(Path configFile, String overrideSource) throws IOException {
        Map<String, Object> config;
        try {
            config = Json.parseObject(Files.readString(configFile, StandardCharsets.UTF_8));
        } catch (JsonException e) {
            throw new IllegalArgumentException(configFile + ": " + e.getMessage(), e);
        }
        Map<String, String> tokens = specialTokens(config, configFile);
        if (overrideSource != null) return of(overrideSource, tokens);
        Object raw = config.get("chat_template");
        if (raw == null) throw new IllegalArgumentException(configFile + " has no chat_template; pass one with --chat-template");
        Map<String, Template> templates = new LinkedHashMap<>();
        try {
            if (raw instanceof String s) {
                templates.put("default", Template.parse(s));
            } else if (raw instanceof List<?> list) {
                for (Object o : list) {
                    if (!(o instanceof Map<?, ?> m) || !(m.get("name") instanceof String name) || !(m.get("template") instanceof String t)) {
                        throw new IllegalArgumentException(configFile + ": chat_template list entries must be {\"name\": str, \"template\": str}");
                    }
                    templates.put(name, Template.parse(t));
                }
            } else {
                throw new IllegalArgumentException(configFile + ": chat_template must be a string or a list of {name, template}");
            }
        } catch (TemplateException e) {
            throw new TemplateException(configFile + ": chat_template: " + e.detail(), e.line());
        }
        return new ChatTemplate(templates, tokens);
    }

    /**
     * The named special tokens transformers passes to templates: every {@code *_token} entry whose
     * value is a string or an AddedToken object {@code {"content": ...}} (null entries are left out).
     */
    static Map<String, String> specialTokens(Map<String, Object> config, Path where) {
        Map<String, String> tokens = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : config.entrySet()) {
            if (!e.getKey().endsWith("_token")) continue;
            Object v = e.getValue();
            if (v instanceof String s) tokens.put(e.getKey(), s);
            else if (v instanceof Map<?, ?> m && m.get("content") instanceof String s) tokens.put(e.getKey(), s);
            else if (v instanceof Map<?, ?>) throw new IllegalArgumentException(where + ": " + e.getKey() + " is an object without a string \"content\"");
        }
        return tokens;
    }

    /** The special tokens this template is rendered with. */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    /** Renders with default limits and the real clock. */
    public String render(List<?> messages, List<?> tools, boolean addGenerationPrompt) {
        return render(messages, tools, addGenerationPrompt, Map.of(), RenderLimits.DEFAULT, LocalDateTime::now);
    }

    /**
     * @param messages            the conversation, JSON-like maps ({@code role}, {@code content}, {@code tool_calls}, ...)
     * @param tools               JSON-schema tool definitions, or null for none
     * @param extraVariables      further template variables ({@code enable_thinking}, ...); they override special tokens
     * @param clock               what {@code strftime_now} formats
     */
    public String render(List<?> messages, List<?> tools, boolean addGenerationPrompt, Map<String, ?> extraVariables,
                         RenderLimits limits, Supplier<LocalDateTime> clock) {
        Template template = select(tools != null);
        Map<String, Object> vars = new LinkedHashMap<>(specialTokens);
        vars.putAll(extraVariables);
        vars.put("messages", messages);
        vars.put("tools", tools);
        vars.put("documents", null);
        vars.put("add_generation_prompt", addGenerationPrompt);
        return template.render(vars, limits, clock);
    }

    private Template select(boolean haveTools) {
        if (templates.size() == 1 && templates.containsKey("default")) return templates.get("default");
        if (haveTools && templates.containsKey("tool_use")) return templates.get("tool_use");
        Template t = templates.get("default");
        if (t == null) throw new IllegalArgumentException("the model has several chat templates " + templates.keySet() + " and no default");
        return t;
    }
}
