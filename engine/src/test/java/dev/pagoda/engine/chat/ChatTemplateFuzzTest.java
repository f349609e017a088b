package dev.pagoda.engine.chat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.pagoda.engine.chat.jinja.RenderLimits;
import dev.pagoda.engine.chat.jinja.TemplateException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Coverage-guided fuzzing of the chat template renderer: the template source and the messages both
 * come from the input. The UTF-8 text is split at NUL characters: the first part is the template,
 * each further part one message's content, with roles cycling system, user, assistant, user, ...
 *
 * <p>A finding is: any exception other than {@link TemplateException} (parse or render errors,
 * {@code raise_exception}, an exceeded {@link RenderLimits} bound), output longer than the bound,
 * or a hang or out-of-memory error (the step, depth and output bounds must stop every template).
 * Seeds: {@code ChatTemplateFuzzTestInputs/} (real model templates); see docs/reliability-fuzz.md.
 */
class ChatTemplateFuzzTest {
    /** Tighter than the server's defaults so that runaway templates are cut quickly while fuzzing. */
    private static final RenderLimits LIMITS = new RenderLimits(1 << 16, 200_000, 40);
    private static final LocalDateTime CLOCK = LocalDateTime.of(2026, 1, 2, 3, 4, 5);
    private static final String[] ROLES = {"system", "user", "assistant", "user"};

    @FuzzTest(maxDuration = "15s")
    @DictionaryEntries({"{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", "for ", " in ", "endfor", "if ", "elif", "else", "endif",
            "set ", "macro ", "endmacro", "call", "namespace(", "loop.index", "loop.last", "messages", "message['role']",
            "message['content']", "bos_token", "eos_token", "add_generation_prompt", "raise_exception(", "tojson", "| trim",
            "| length", "| join", "| replace(", "strftime_now(", ".split(", ".strip()", "range(", "~", "**", "//", "is defined",
            "is string", "not ", " and ", " or ", "[::-1]", "tools", "selectattr(", "map(", "items()"})
    void render(byte[] input) {
        String[] parts = new String(input, StandardCharsets.UTF_8).split("\u0000", -1);
        List<Object> messages = new ArrayList<>();
        for (int i = 1; i < parts.length; i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", ROLES[(i - 1) % ROLES.length]);
            m.put("content", parts[i]);
            messages.add(m);
        }
        String out;
        try {
            ChatTemplate template = ChatTemplate.of(parts[0], Map.of("bos_token", "<s>", "eos_token", "</s>"));
            out = template.render(messages, null, true, Map.of(), LIMITS, () -> CLOCK);
        } catch (TemplateException expected) {
            return;
        }
        assertTrue(out.length() <= LIMITS.maxOutputChars(), "output within the bound");
    }
}
