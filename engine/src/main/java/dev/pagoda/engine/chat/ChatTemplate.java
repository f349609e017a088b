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

    /** The chat template(s) and special tokens of a tokenizer directory, found as transformers finds them. */
    public static ChatTemplate fromTokenizerDir(Path dir) throws IOException {
        return fromTokenizerDir(dir, null);
    }

    /**
     * Special tokens come from {@code DIR/tokenizer_config.json}. The template is {@code overrideSource}
     * when given (the {@code --chat-template FILE} case); else, as in transformers, the standalone files
     * {@code chat_template.jinja} ("default") and {@code additional_chat_templates/NAME.jinja} when
     * present; else the config's {@code chat_template}.
     */
    public static ChatTemplate fromTokenizerDir(Path dir, String overrideSource) throws IOException {
        Path configFile = dir.resolve("tokenizer_config.json");
        Map<String, Object> config = Map.of();
        if (Files.isRegularFile(configFile)) {
            try {
                config = Json.parseObject(Files.readString(configFile, StandardCharsets.UTF_8));
            } catch (JsonException e) {
                throw new IllegalArgumentException(configFile + ": " + e.getMessage(), e);
            }
        }
        Map<String, String> tokens = specialTokens(config, configFile);
        if (overrideSource != null) return of(overrideSource, tokens);

        Map<String, String> sources = new LinkedHashMap<>();
        Path standalone = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(standalone)) sources.put("default", Files.readString(standalone, StandardCharsets.UTF_8));
        Path extraDir = dir.resolve("additional_chat_templates");
        if (Files.isDirectory(extraDir)) {
            try (var files = Files.list(extraDir)) {
                for (Path f : files.sorted().toList()) {
                    String name = f.getFileName().toString();
                    if (name.endsWith(".jinja")) sources.put(name.substring(0, name.length() - 6), Files.readString(f, StandardCharsets.UTF_8));
                }
            }
        }
        Path origin = sources.isEmpty() ? configFile : dir;
        if (sources.isEmpty()) {
            Object raw = config.get("chat_template");
            if (raw == null) throw new IllegalArgumentException(dir + " has no chat template (no chat_template.jinja, no chat_template in tokenizer_config.json); pass one with --chat-template");
            if (raw instanceof String s) {
                sources.put("default", s);
            } else if (raw instanceof List<?> list) {
                for (Object o : list) {
                    if (!(o instanceof Map<?, ?> m) || !(m.get("name") instanceof String name) || !(m.get("template") instanceof String t)) {
                        throw new IllegalArgumentException(configFile + ": chat_template list entries must be {\"name\": str, \"template\": str}");
                    }
                    sources.put(name, t);
                }
            } else {
                throw new IllegalArgumentException(configFile + ": chat_template must be a string or a list of {name, template}");
            }
        }
        Map<String, Template> templates = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : sources.entrySet()) {
            try {
                templates.put(e.getKey(), Template.parse(e.getValue()));
            } catch (TemplateException ex) {
                throw new TemplateException(origin + ": chat template '" + e.getKey() + "': " + ex.detail(), ex.line());
            }
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
