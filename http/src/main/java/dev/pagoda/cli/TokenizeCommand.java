package dev.pagoda.cli;

import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.InputStream;
import java.io.PrintStream;
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
        JsonLines.map(in, out, (value, lineNumber) -> {
            if (!(value instanceof String text)) throw new CliException("stdin line " + lineNumber + ": expected a JSON string");
            return tokenizer.encode(text, addSpecialTokens);
        });
        return 0;
    }
}
