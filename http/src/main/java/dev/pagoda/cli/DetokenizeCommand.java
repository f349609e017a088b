package dev.pagoda.cli;

import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code ./pagoda detokenize --tokenizer DIR [--skip-special-tokens]}: one JSON array of token ids
 * per input line, one JSON string per output line (UTF-8 both ways).
 */
@CommandLine.Command(name = "detokenize", description = "token ids to text: a JSON array per stdin line -> a JSON string per stdout line")
final class DetokenizeCommand implements Command {
    @Option(names = "--tokenizer", required = true, paramLabel = "DIR", description = "a model or tokenizer directory (tokenizer.json, tokenizer_config.json)")
    Path dir;

    @Option(names = "--skip-special-tokens", description = "leave special tokens (BOS, EOS, ...) out of the text")
    boolean skipSpecialTokens;

    @Override
    public int run(InputStream in, PrintStream out, PrintStream err) throws Exception {
        Tokenizer tokenizer = Tokenizer.fromDirectory(dir);
        JsonLines.map(in, out, (value, lineNumber) -> {
            if (!(value instanceof List<?> list)) throw new CliException("stdin line " + lineNumber + ": expected a JSON array of token ids");
            int[] ids = new int[list.size()];
            for (int i = 0; i < ids.length; i++) {
                if (!(list.get(i) instanceof Long id) || id < 0 || id >= tokenizer.vocabSize()) {
                    throw new CliException("stdin line " + lineNumber + ": element " + i + " is not a token id in [0, " + tokenizer.vocabSize() + ")");
                }
                ids[i] = id.intValue();
            }
            return tokenizer.decode(ids, skipSpecialTokens);
        });
        return 0;
    }
}
