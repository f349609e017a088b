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
            if (!(value instanceof List<?> list)) throw new CliException("stdin line " + lineNumber + ": expected a JSON array of token ids");
            int[] ids = new int[list.size()];
            for (int i = 0; i < ids.length; i++) {
                if (!(list.get(i) instanceof Long id) || id < 0 || id >= tokenizer.vocabSize()) {
                    throw new CliException("stdin line " + lineNumber + ": element " + i + " is not a token id in [0, " + tokenizer.vocabSize() + ")");
                }
                ids[i] = id.intValue();
            }
            utf8.println(Json.write(tokenizer.decode(ids, skipSpecialTokens)));
            utf8.flush();
        }
        return 0;
    }
}
