package dev.pagoda.engine.chat.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Templates are untrusted data: every runaway ends in a clear {@link TemplateException}, and nothing outside the given values is reachable. */
class JinjaSandboxTest {
    private static final RenderLimits SMALL = new RenderLimits(100_000, 200_000, 20);

    private static String render(String source, Map<String, ?> vars, RenderLimits limits) {
        return Template.parse(source).render(vars, limits, () -> LocalDateTime.of(2025, 3, 5, 14, 7, 9));
    }

    @Test
    void endlessLoopsStopAtTheStepLimit() {
        String nested = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}";
        TemplateException e = assertThrows(TemplateException.LimitExceeded.class, () -> render(nested, Map.of(), SMALL));
        assertTrue(e.getMessage().contains("steps"), e.getMessage());
        assertThrows(TemplateException.LimitExceeded.class,
                () -> render("{% for i in range(10) %}{% for m in messages %}{{ m }}{% endfor %}{% endfor %}",
                        Map.of("messages", java.util.Collections.nCopies(100_000, "x")), SMALL));
    }

    @Test
    void outputIsBounded() {
        String flood = "{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}";
        TemplateException e = assertThrows(TemplateException.LimitExceeded.class, () -> render(flood, Map.of(), SMALL));
        assertTrue(e.getMessage().contains("output"), e.getMessage());
    }

    @Test
    void stringsCannotGrowPastTheLimitWithoutBeingPrinted() {
        String doubling = "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}";
        assertThrows(TemplateException.LimitExceeded.class, () -> render(doubling, Map.of(), SMALL));
        assertThrows(TemplateException.LimitExceeded.class, () -> render("{% set s = 'ab' * 1000000000000 %}", Map.of(), SMALL));
        assertThrows(TemplateException.LimitExceeded.class, () -> render("{% set l = [1] * 1000000000 %}", Map.of(), SMALL));
        assertThrows(TemplateException.LimitExceeded.class,
                () -> render("{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}", Map.of(), SMALL));
    }

    @Test
    void endlessRecursionStopsAtTheDepthLimit() {
        TemplateException e = assertThrows(TemplateException.LimitExceeded.class,
                () -> render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", Map.of(), RenderLimits.DEFAULT));
        assertTrue(e.getMessage().contains("deeper than 100"), e.getMessage());
    }

    @Test
    void deeplyNestedSyntaxIsRejectedNotAStackOverflow() {
        String parens = "{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}";
        assertThrows(TemplateException.class, () -> Template.parse(parens));
        String lists = "{{ " + "[".repeat(5000) + "]".repeat(5000) + " }}";
        assertThrows(TemplateException.class, () -> Template.parse(lists));
        String ifs = "{% if true %}".repeat(5000) + "{% endif %}".repeat(5000);
        assertThrows(TemplateException.class, () -> Template.parse(ifs));
        String nots = "{{ " + "not ".repeat(5000) + "x }}";
        assertThrows(TemplateException.class, () -> Template.parse(nots));
    }

    @Test
    void noFilesystemTags() {
        for (String tag : List.of("{% include 'x' %}", "{% import 'x' as y %}", "{% extends 'x' %}", "{% from 'x' import y %}")) {
            TemplateException e = assertThrows(TemplateException.class, () -> Template.parse(tag), tag);
            assertTrue(e.getMessage().contains("unsupported tag"), e.getMessage());
        }
    }

    @Test
    void noJavaObjectsReachable() {
        Map<String, Object> vars = Map.of("messages", List.of(Map.of("role", "user")));
        for (String probe : List.of("{{ messages.__class__ }}", "{{ ''.__class__ }}", "{{ messages.getClass }}", "{{ range.__globals__ }}",
                "{{ messages[0].role.getBytes }}", "{{ namespace.__init__ }}", "{{ loop }}", "{{ self }}")) {
            String out = render(probe, vars, RenderLimits.DEFAULT);
            assertEquals("", out, probe);
        }
        String printed = render("{{ range }}{{ namespace() }}{{ [1]|select }}", vars, RenderLimits.DEFAULT);
        assertFalse(printed.contains("java") || printed.contains("pagoda") || printed.contains("@"), printed);
        // Only JSON-like values can be passed in.
        assertThrows(IllegalArgumentException.class, () -> render("{{ f }}", Map.of("f", new File("/")), RenderLimits.DEFAULT));
        assertThrows(IllegalArgumentException.class, () -> render("{{ f }}", Map.of("f", Map.of(1, "x")), RenderLimits.DEFAULT));
    }

    @Test
    void mutatingMethodsAreUnsafe() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> render("{% set l = [] %}{{ l.append(1) }}", Map.of(), RenderLimits.DEFAULT));
        assertTrue(e.getMessage().contains("SecurityError"), e.getMessage());
        assertThrows(TemplateException.class, () -> render("{{ d.update({'a': 1}) }}", Map.of("d", Map.of()), RenderLimits.DEFAULT));
    }

    @Test
    void errorsNameTheTemplateLine() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> render("line 1\n{% for m in messages %}\n  {{ m.content + 1 }}\n{% endfor %}", Map.of("messages", List.of(Map.of("content", "x"))), RenderLimits.DEFAULT));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("can only concatenate str"), e.getMessage());
        TemplateException syntax = assertThrows(TemplateException.class, () -> Template.parse("a\nb\n{% if x %}\n{{ 1 + }}\n{% endif %}"));
        assertEquals(4, syntax.line());
        TemplateException unclosed = assertThrows(TemplateException.class, () -> Template.parse("{% for x in y %}\n\n"));
        assertTrue(unclosed.getMessage().contains("endfor"), unclosed.getMessage());
    }

    @Test
    void limitsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new RenderLimits(0, 1, 1));
    }
}
