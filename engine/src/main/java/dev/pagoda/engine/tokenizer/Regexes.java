package dev.pagoda.engine.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles a {@code tokenizer.json} regular expression (written for Oniguruma) as a Java pattern.
 * With {@link Pattern#UNICODE_CHARACTER_CLASS}, {@code \s}, {@code \w}, {@code \d} and case folding
 * are Unicode-aware as in Oniguruma; {@code \p{L}}, {@code \p{N}}, lookahead and {@code (?i:...)}
 * mean the same in both. The known GPT-style patterns do not go through here: they have a
 * hand-written scanner ({@link GptPatternScanner}).
 */
final class Regexes {
    private Regexes() {}

    static Pattern compile(String regex) {
        try {
            return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new TokenizerException("tokenizer.json: regular expression /" + regex + "/ is not supported: " + e.getDescription());
        }
    }
}
