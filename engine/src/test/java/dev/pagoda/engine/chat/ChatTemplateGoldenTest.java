package dev.pagoda.engine.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagoda.engine.chat.jinja.RenderLimits;
import dev.pagoda.engine.chat.jinja.TemplateException;
import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Renders every golden case produced by {@code scripts/goldens/chat_templates.py} (transformers +
 * jinja2) and requires the exact same string, or an exception where Python raised one (with the
 * same message for {@code raise_exception}).
 */
class ChatTemplateGoldenTest {
    /** The instant the goldens were generated with ({@code FIXED_NOW} in the script). */
    static final LocalDateTime FIXED_NOW = LocalDateTime.of(2025, 3, 5, 14, 7, 9);

    @SuppressWarnings("unchecked")
    static <T> T resource(String name) throws IOException {
        try (InputStream in = ChatTemplateGoldenTest.class.getResourceAsStream("/chat/" + name)) {
            if (in == null) throw new IllegalStateException("missing test resource /chat/" + name);
            return (T) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @TestFactory
    Stream<DynamicNode> sharedTemplates() throws IOException {
        List<Map<String, Object>> goldens = resource("shared-templates.json");
        Map<String, Object> conversations = conversations();
        List<DynamicNode> nodes = new ArrayList<>();
        for (Map<String, Object> g : goldens) {
            String name = (String) g.get("template");
            @SuppressWarnings("unchecked")
            Map<String, String> tokens = (Map<String, String>) g.get("special_tokens");
            nodes.add(container(name, g, conversations, () -> ChatTemplate.of(Files.readString(Fixtures.shared(name)), tokens)));
        }
        return nodes.stream();
    }

    @TestFactory
    Stream<DynamicNode> tokenizerTemplates() throws IOException {
        List<Map<String, Object>> goldens = resource("tokenizer-templates.json");
        Map<String, Object> conversations = conversations();
        List<DynamicNode> nodes = new ArrayList<>();
        for (Map<String, Object> g : goldens) {
            String name = (String) g.get("tokenizer");
            @SuppressWarnings("unchecked")
            Map<String, String> hfTokens = (Map<String, String>) g.get("special_tokens");
            nodes.add(container(name, g, conversations, () -> {
                ChatTemplate t = ChatTemplate.fromTokenizerDir(Fixtures.fetched(name));
                // Every named token transformers passed that tokenizer_config.json declares must agree.
                for (Map.Entry<String, String> e : t.specialTokens().entrySet()) {
                    if (hfTokens.containsKey(e.getKey())) assertEquals(hfTokens.get(e.getKey()), e.getValue(), name + " " + e.getKey());
                }
                for (String k : List.of("bos_token", "eos_token")) {
                    assertEquals(hfTokens.get(k), t.specialTokens().get(k), name + " " + k);
                }
                return t;
            }));
        }
        return nodes.stream();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> conversations() throws IOException {
        Map<String, Object> meta = resource("conversations.json");
        assertEquals(FIXED_NOW.toString(), meta.get("fixed_now"));
        return (Map<String, Object>) meta.get("conversations");
    }

    interface Loader {
        ChatTemplate load() throws IOException;
    }

    /** Parses the template once per container, on first use (so a missing fixture skips inside the tests). */
    private static Loader memoize(Loader loader) {
        ChatTemplate[] cache = new ChatTemplate[1];
        return () -> {
            if (cache[0] == null) cache[0] = loader.load();
            return cache[0];
        };
    }

    @SuppressWarnings("unchecked")
    private static DynamicContainer container(String name, Map<String, Object> golden, Map<String, Object> conversations, Loader uncached) {
        Loader loader = memoize(uncached);
        List<DynamicTest> tests = new ArrayList<>();
        for (Object o : (List<Object>) golden.get("cases")) {
            Map<String, Object> c = (Map<String, Object>) o;
            String convName = (String) c.get("conversation");
            boolean agp = (Boolean) c.get("add_generation_prompt");
            Map<String, Object> conv = (Map<String, Object>) conversations.get(convName);
            tests.add(DynamicTest.dynamicTest(convName + (agp ? " +gen" : ""), () -> {
                ChatTemplate t = loader.load();
                List<Object> messages = (List<Object>) conv.get("messages");
                List<Object> tools = (List<Object>) conv.get("tools");
                Map<String, Object> kwargs = (Map<String, Object>) conv.getOrDefault("template_kwargs", Map.of());
                if (c.containsKey("expected")) {
                    String got = t.render(messages, tools, agp, kwargs, RenderLimits.DEFAULT, () -> FIXED_NOW);
                    assertEquals(c.get("expected"), got, name + " / " + convName);
                } else {
                    Map<String, Object> err = (Map<String, Object>) c.get("error");
                    TemplateException e = assertThrows(TemplateException.class,
                            () -> t.render(messages, tools, agp, kwargs, RenderLimits.DEFAULT, () -> FIXED_NOW),
                            name + " / " + convName + ": Python raised " + err);
                    if ("TemplateError".equals(err.get("type"))) {
                        assertEquals(err.get("message"), e.detail(), "raise_exception message");
                    }
                }
            }));
        }
        return DynamicContainer.dynamicContainer(name, tests);
    }
}
