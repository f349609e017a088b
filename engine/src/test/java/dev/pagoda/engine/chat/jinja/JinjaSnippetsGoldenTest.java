package dev.pagoda.engine.chat.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagoda.engine.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * One small template per jinja2/Python behaviour (whitespace control, scoping, operators, string
 * methods, filters, tests, tojson, errors), each rendered by the environment transformers uses;
 * see {@code SNIPPETS} in {@code scripts/goldens/chat_templates.py}.
 */
class JinjaSnippetsGoldenTest {
    static final LocalDateTime FIXED_NOW = LocalDateTime.of(2025, 3, 5, 14, 7, 9);

    @SuppressWarnings("unchecked")
    @TestFactory
    Stream<DynamicTest> snippets() throws IOException {
        List<Object> cases;
        try (InputStream in = getClass().getResourceAsStream("/chat/jinja-snippets.json")) {
            cases = (List<Object>) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        return cases.stream().map(o -> {
            Map<String, Object> c = (Map<String, Object>) o;
            String name = (String) c.get("name");
            String source = (String) c.get("template");
            Map<String, Object> vars = (Map<String, Object>) c.get("variables");
            return DynamicTest.dynamicTest(name, () -> {
                if (c.containsKey("expected")) {
                    assertEquals(c.get("expected"), render(source, vars), name + ": " + source);
                } else {
                    Map<String, Object> err = (Map<String, Object>) c.get("error");
                    TemplateException e = assertThrows(TemplateException.class, () -> render(source, vars), name + ": Python raised " + err);
                    if ("TemplateError".equals(err.get("type"))) assertEquals(err.get("message"), e.detail());
                }
            });
        });
    }

    private static String render(String source, Map<String, Object> vars) {
        return Template.parse(source).render(vars, RenderLimits.DEFAULT, () -> FIXED_NOW);
    }
}
