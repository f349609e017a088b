package dev.pagoda.cli;

import dev.pagoda.engine.chat.ChatTemplate;
import dev.pagoda.engine.chat.jinja.RenderLimits;
import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.json.JsonException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code ./pagoda render-chat --tokenizer DIR [--chat-template FILE]}: reads one JSON object
 * {@code {"messages": [...], "tools": [...]?, "add_generation_prompt": bool?, "chat_template_kwargs": {...}?}}
 * on stdin and writes the rendered prompt to stdout exactly as Hugging Face's
 * {@code apply_chat_template(..., tokenize=False)} would (UTF-8, no added newline).
 */
@CommandLine.Command(name = "render-chat", description = "render a chat (JSON on stdin) with the model's chat template")
final class RenderChatCommand implements Command {
    private static final Set<String> KEYS = Set.of("messages", "tools", "add_generation_prompt", "chat_template_kwargs");

    @Option(names = "--tokenizer", required = true, paramLabel = "DIR",
            description = "a model or tokenizer directory (tokenizer_config.json holds the chat template)")
    Path dir;

    @Option(names = "--chat-template", paramLabel = "FILE", description = "a Jinja template file to use instead of the tokenizer's")
    Path templateFile;

    @Override
    @SuppressWarnings("unchecked")
    public int run(InputStream in, PrintStream out, PrintStream err) throws Exception {
        if (!Files.isDirectory(dir)) throw new CliException("--tokenizer: no such directory " + dir);
        String override = null;
        if (templateFile != null) {
            if (!Files.isRegularFile(templateFile)) throw new CliException("--chat-template: no such file " + templateFile);
            override = Files.readString(templateFile, StandardCharsets.UTF_8);
        }
        ChatTemplate template = ChatTemplate.fromTokenizerDir(dir, override);

        Map<String, Object> request;
        try {
            request = Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (JsonException e) {
            throw new CliException("stdin must be one JSON object: " + e.getMessage());
        }
        for (String k : request.keySet()) {
            if (!KEYS.contains(k)) throw new CliException("unknown key \"" + k + "\" in the request (expected one of " + KEYS + ")");
        }
        if (!(request.get("messages") instanceof List<?> messages)) throw new CliException("\"messages\" must be a JSON array");
        Object tools = request.get("tools");
        if (tools != null && !(tools instanceof List)) throw new CliException("\"tools\" must be a JSON array or null");
        Object agp = request.getOrDefault("add_generation_prompt", false);
        if (!(agp instanceof Boolean addGenerationPrompt)) throw new CliException("\"add_generation_prompt\" must be true or false");
        Object kwargs = request.getOrDefault("chat_template_kwargs", Map.of());
        if (!(kwargs instanceof Map<?, ?> extra)) throw new CliException("\"chat_template_kwargs\" must be a JSON object");

        String prompt = template.render(messages, (List<?>) tools, addGenerationPrompt, (Map<String, ?>) extra,
                RenderLimits.DEFAULT, LocalDateTime::now);
        out.write(prompt.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return 0;
    }
}
