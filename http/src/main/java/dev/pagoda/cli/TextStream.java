package dev.pagoda.cli;

import dev.pagoda.engine.tokenizer.Tokenizer;
import java.util.Arrays;

/** Turns generated ids into printable text deltas (held back while a UTF-8 character is incomplete). */
final class TextStream {
    private final Tokenizer tokenizer;
    private int[] ids = new int[0];
    private String printed = "";

    TextStream(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    String append(int id) {
        ids = Arrays.copyOf(ids, ids.length + 1);
        ids[ids.length - 1] = id;
        String text = tokenizer.decode(ids, true);
        if (text.endsWith("\uFFFD") || !text.startsWith(printed)) return "";
        String delta = text.substring(printed.length());
        printed = text;
        return delta;
    }
}
