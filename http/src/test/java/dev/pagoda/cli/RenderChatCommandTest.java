package dev.pagoda.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.chat.jinja.TemplateException;
import dev.pagoda.engine.testing.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RenderChatCommandTest {
    private static String run(String stdin, String... argv) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        RenderChatCommand command = new RenderChatCommand();
        new CommandLine(command).parseArgs(argv); // fills the command's @Option fields
        int rc = command.run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), ps, ps);
        assertEquals(0, rc);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void rendersQwen3TemplateExactlyWithoutTrailingNewline() throws Exception {
        Path dir = Fixtures.fetched("tokenizers/qwen3");
        String got = run("{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Grüße 👋\"}],"
                + " \"add_generation_prompt\": true}", "--tokenizer", dir.toString());
        // As transformers' apply_chat_template(tokenize=False) renders it.
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nGrüße 👋<|im_end|>\n<|im_start|>assistant\n", got);
    }

    @Test
    void chatTemplateKwargsReachTheTemplate() throws Exception {
        Path dir = Fixtures.fetched("tokenizers/qwen3");
        String got = run("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"add_generation_prompt\": true,"
                + " \"chat_template_kwargs\": {\"enable_thinking\": false}}", "--tokenizer", dir.toString());
        assertTrue(got.endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n"), got);
    }

    @Test
    void chatTemplateFileOverridesTheTokenizersButKeepsItsSpecialTokens(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"bos_token\": {\"content\": \"<s>\", \"lstrip\": false}, \"eos_token\": \"</s>\"}");
        Path template = tmp.resolve("t.jinja");
        Files.writeString(template, "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}\n");
        String got = run("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", "--tokenizer", tmp.toString(), "--chat-template", template.toString());
        assertEquals("<s>[user] x</s>", got);
    }

    @Test
    void badRequestsAreUsageErrors(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"chat_template\": \"{{ messages|length }}\"}");
        assertThrows(CliException.class, () -> run("{\"messages\": [], \"add_generation_prompt\": \"yes\"}", "--tokenizer", tmp.toString()));
        assertThrows(CliException.class, () -> run("{\"msgs\": []}", "--tokenizer", tmp.toString()));
        assertThrows(CliException.class, () -> run("[1]", "--tokenizer", tmp.toString()));
        assertThrows(CliException.class, () -> run("{\"messages\": []}", "--tokenizer", tmp.resolve("missing").toString()));
        assertEquals("0", run("{\"messages\": []}", "--tokenizer", tmp.toString()));
    }

    @Test
    void templateErrorsSurfaceWithTheirMessage(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("tokenizer_config.json"),
                "{\"chat_template\": \"line one\\n{{ raise_exception('roles must alternate') }}\"}");
        TemplateException e = assertThrows(TemplateException.class, () -> run("{\"messages\": []}", "--tokenizer", tmp.toString()));
        assertEquals("roles must alternate", e.detail());
        assertEquals(2, e.line());
    }
}
