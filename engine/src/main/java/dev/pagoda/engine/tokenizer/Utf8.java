package dev.pagoda.engine.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** UTF-8 decoding with Rust's semantics (U+FFFD per maximal invalid subsequence, or strict). */
final class Utf8 {
    private Utf8() {}

    /**
     * Rust's {@code String::from_utf8_lossy}. Java's decoder also substitutes one U+FFFD per
     * maximal ill-formed subsequence (the Unicode "best practice" both follow).
     */
    static String decodeLossy(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The text, or null if the bytes are not valid UTF-8. */
    static String decodeStrict(byte[] bytes) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = d.decode(ByteBuffer.wrap(bytes));
            return chars.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
