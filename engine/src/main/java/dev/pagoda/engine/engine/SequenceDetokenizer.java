package dev.pagoda.engine.engine;

import dev.pagoda.engine.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * Generated ids to text, one token at a time: {@code decode(context + output) − decode(context)},
 * where the context is the last few prompt tokens (so the first generated token keeps e.g. its
 * leading space, as vLLM does), held back while the text ends in an incomplete UTF-8 character.
 * Decodes the whole output each time (O(n²) over a sequence; cheap next to a forward pass for the
 * lengths we run).
 */
final class SequenceDetokenizer {
    private static final int PROMPT_CONTEXT_TOKENS = 5; // vLLM's INITIAL_INCREMENTAL_DETOKENIZATION_OFFSET

    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private final int contextLen;
    private int[] ids;   // [contextLen + numOutput] prompt tail, then output ids
    private int size;
    private final String contextText;
    private int emitted; // chars of output text returned so far

    SequenceDetokenizer(Tokenizer tokenizer, int[] promptTokenIds, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
        this.contextLen = Math.min(PROMPT_CONTEXT_TOKENS, promptTokenIds.length);
        this.ids = Arrays.copyOfRange(promptTokenIds, promptTokenIds.length - contextLen, promptTokenIds.length + 16);
        this.size = contextLen;
        this.contextText = tokenizer.decode(Arrays.copyOf(ids, contextLen), skipSpecialTokens);
    }

    /** Adds a generated id; returns the new text (empty while a character is incomplete). */
    String add(int tokenId) {
        if (size == ids.length) ids = Arrays.copyOf(ids, size * 2);
        ids[size++] = tokenId;
        return delta(false);
    }

    /** Whatever was held back (call when the sequence ends). */
    String flush() {
        return delta(true);
    }

    private String delta(boolean force) {
        String all = tokenizer.decode(Arrays.copyOf(ids, size), skipSpecialTokens);
        if (!all.startsWith(contextText)) return ""; // the context merged with the output: wait for more
        String output = all.substring(contextText.length());
        if ((!force && output.endsWith("\uFFFD")) || output.length() <= emitted) return "";
        String d = output.substring(emitted);
        emitted = output.length();
        return d;
    }
}
