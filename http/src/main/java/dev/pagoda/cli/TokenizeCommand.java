package dev.pagoda.cli;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.json.JsonException;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code ./pagoda tokenize --tokenizer DIR [--add-special-tokens]}: one JSON string per input line,
 * one JSON array of token ids per output line (UTF-8 both ways).
 */
@CommandLine.Command(name = "tokenize", description = "text to token ids: a JSON string per stdin line -> a JSON array per stdout line")
final class TokenizeCommand implements Command {
    @Option(names = "--tokenizer", required = true, paramLabel = "DIR", description = "a model or tokenizer directory (tokenizer.json, tokenizer_config.json)")
    Path dir;

    @Option(names = "--add-special-tokens", description = "add the tokenizer's BOS/EOS tokens as Hugging Face's encode(add_special_tokens=True) does")
    boolean addSpecialTokens;

    @Override
    public int run(InputStream in, PrintStream out, PrintStream err) throws Exception {
        Tokenizer tokenizer = Tokenizer.fromDirectory(dir);
        PrintStream utf8 = new PrintStream(out, false, StandardCharsets.UTF_8);
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        int lineNumber = 0;
        for (String line; (line = reader.readLine()) != null; ) {
            lineNumber++;
            Object value;
            try {
                value = Json.parse(line);
            } catch (JsonException e) {
                throw new CliException("stdin line " + lineNumber + ": not JSON: " + e.getMessage());
            }
            if (!(value instanceof String text)) throw new CliException("stdin line " + lineNumber + ": expected a JSON string");
            utf8.println(Json.write(tokenizer.encode(text, addSpecialTokens)));
            utf8.flush();
        }
        return 0;
    }
}
