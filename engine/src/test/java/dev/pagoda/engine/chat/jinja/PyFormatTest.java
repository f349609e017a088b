package dev.pagoda.engine.chat.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code "fmt" % value} in templates, against what Python 3 prints (each expected value is Python's
 * own output). Specs Java's Formatter would refuse must still render as Python does or fail as a
 * TemplateException, never as a Java exception (ChatTemplateFuzzTest found "%1.2.3s" doing that).
 */
class PyFormatTest {

    private static String render(String source) {
        return Template.parse(source).render(Map.of(), RenderLimits.DEFAULT, () -> java.time.LocalDateTime.of(2025, 3, 5, 14, 7, 9));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "{{ '[%-05d]' % 3 }}       | [3    ]",
            "{{ '[%.3d]' % 7 }}        | [007]",
            "{{ '[%05.3d]' % 7 }}      | [00007]",
            "{{ '[%-5.3d]' % -7 }}     | [-007 ]",
            "{{ '[%+ d]' % 5 }}        | [+5]",
            "{{ '[% d]' % 5 }}         | [ 5]",
            "{{ '[%08d]' % -42 }}      | [-0000042]",
            "{{ '[%5d]' % -42 }}       | [  -42]",
            "{{ '[%#d]' % 3 }}         | [3]",
            "{{ '[%+s]' % 'a' }}       | [a]",
            "{{ '[%05s]' % 'ab' }}     | [   ab]",
            "{{ '[%5.2s]' % 'abcdef' }} | [   ab]",
            "{{ '[%-08.3f]' % 2.5 }}   | [2.500   ]",
            "{{ '[%#x]' % 255 }}       | [0xff]",
    })
    void formatsAsPythonDoes(String template, String expected) {
        assertEquals(expected, render(template.strip()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{{ '%1.2.3s' % 'x' }} | unsupported format character '.'",
            "{{ '%..s' % 'x' }}    | unsupported format character '.'",
    })
    void malformedSpecsAreTemplateErrors(String template, String message) {
        TemplateException e = assertThrows(TemplateException.class, () -> render(template.strip()));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
