package dev.pagoda.engine.tokenizer;

import java.nio.CharBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Streams generated text: feed token ids one at a time, get text deltas, as vLLM's
 * {@code detokenize_incrementally} does.
 *
 * <p>Decoding token by token is wrong for real tokenizers: a character may be split over several
 * byte tokens, and SentencePiece decoders drop the leading space of the first token. So each step
 * decodes a short window of recent tokens twice — up to the last emitted token ({@code readOffset})
 * and up to the new one — starting at {@code prefixOffset}, and emits the difference. Text is held
 * back while it ends in an incomplete UTF-8 sequence (it would decode to U+FFFD), so no U+FFFD is
 * ever emitted mid-stream unless the model really produced invalid bytes; {@link #flush()} releases
 * whatever is held back when the sequence ends.
 *
 * <p>The deltas plus {@link #flush()} concatenate to exactly the text the generated ids add to the
 * prompt's decode: {@code decode(prompt + generated)} minus {@code decode(prompt)} (just
 * {@code decode(generated)} without a prompt). One Hugging Face rule cannot be streamed: a run of
 * SentencePiece byte tokens that is valid UTF-8 so far but later continued by bytes that make it
 * invalid is decoded by Hugging Face as U+FFFD for every byte of the run, including text already
 * emitted; this needs a model to emit malformed UTF-8 and is not reproduced.
 *
 * <p>Not thread-safe: one instance per sequence.
 */
public final class IncrementalDetokenizer {
    /** vLLM's INITIAL_INCREMENTAL_DETOKENIZATION_OFFSET: prompt tokens decoded as context. */
    static final int PROMPT_CONTEXT_TOKENS = 5;
    /** The most tokens one character can take (four UTF-8 bytes, with slack for odd vocabularies). */
    private static final int MAX_CHARACTER_TOKENS = 8;

    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private final boolean spacesBetweenSpecialTokens;
    /** [numIds] prompt context tail, then every generated id. */
    private int[] ids;
    private int size;
    /** Start of the decode window. */
    private int prefixOffset;
    /** End of the text already emitted. */
    private int readOffset;
    private final StringBuilder text = new StringBuilder();
    private final int generatedStart;

    /** A detokenizer without prompt context, with Hugging Face fast-tokenizer decoding. */
    public IncrementalDetokenizer(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this(tokenizer, new int[0], skipSpecialTokens, false);
    }

    /**
     * @param promptIds the prompt (its last tokens give the first generated token its context, e.g. its leading space)
     * @param skipSpecialTokens leave out added tokens marked special
     * @param spacesBetweenSpecialTokens join added tokens and the text around them with a space, as
     *     transformers' slow tokenizers (and vLLM on them) do; false gives the fast-tokenizer
     *     decode, which is what vLLM does for every tokenizer.json model
     */
    public IncrementalDetokenizer(Tokenizer tokenizer, int[] promptIds, boolean skipSpecialTokens, boolean spacesBetweenSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
        this.spacesBetweenSpecialTokens = spacesBetweenSpecialTokens;
        int context = contextLength(tokenizer, promptIds, skipSpecialTokens);
        ids = Arrays.copyOf(Arrays.copyOfRange(promptIds, promptIds.length - context, promptIds.length), context + 16);
        size = context;
        generatedStart = context;
        prefixOffset = 0;
        readOffset = context;
    }

    /**
     * How many prompt tokens to decode as context: vLLM's five, or a few more so that the window does
     * not start inside a character (a byte-fallback run cut in the middle decodes to U+FFFD as a whole).
     */
    private static int contextLength(Tokenizer tokenizer, int[] promptIds, boolean skipSpecialTokens) {
        int n = promptIds.length;
        int context = Math.min(n, PROMPT_CONTEXT_TOKENS);
        while (context < n && context < PROMPT_CONTEXT_TOKENS + MAX_CHARACTER_TOKENS
                && tokenizer.decode(promptIds, n - context, n, skipSpecialTokens).startsWith("\uFFFD")) {
            context++;
        }
        return context;
    }

    /** Adds one generated id; returns the new text (empty while text is held back). */
    public String add(int id) {
        if (size == ids.length) ids = Arrays.copyOf(ids, size * 2);
        ids[size++] = id;
        String prefixText = decode(prefixOffset, readOffset);
        String newText = decode(prefixOffset, size);
        if (newText.length() <= prefixText.length() || newText.endsWith("\uFFFD") || !newText.startsWith(prefixText)) return "";
        String delta = newText.substring(prefixText.length());
        prefixOffset = readOffset;
        readOffset = size;
        text.append(delta);
        return delta;
    }

    /** Ends the sequence: returns the text still held back (e.g. a trailing incomplete character as U+FFFD). */
    public String flush() {
        if (readOffset == size) return "";
        String prefixText = decode(prefixOffset, readOffset);
        String newText = decode(prefixOffset, size);
        String delta = newText.length() > prefixText.length() && newText.startsWith(prefixText) ? newText.substring(prefixText.length()) : "";
        prefixOffset = readOffset;
        readOffset = size;
        text.append(delta);
        return delta;
    }

    /** All text emitted so far, as a read-only view without copying (stop strings are checked on it: see {@code sampling.StopChecker}). */
    public CharSequence text() {
        return CharBuffer.wrap(text);
    }

    /** The generated ids so far. */
    public int[] generatedIds() {
        return Arrays.copyOfRange(ids, generatedStart, size);
    }

    private String decode(int from, int to) {
        if (!spacesBetweenSpecialTokens) return tokenizer.decode(ids, from, to, skipSpecialTokens);
        return decodeWithSpacesBetweenAddedTokens(tokenizer, ids, from, to, skipSpecialTokens);
    }

    /**
     * transformers' slow-tokenizer decode (vLLM's {@code _convert_tokens_to_string_with_added_encoders}):
     * runs of ordinary tokens are decoded separately, added tokens stand for their content, and the
     * pieces are joined with single spaces.
     */
    static String decodeWithSpacesBetweenAddedTokens(Tokenizer tokenizer, int[] ids, int from, int to, boolean skipSpecialTokens) {
        if (!containsAddedToken(tokenizer, ids, from, to)) return tokenizer.decode(ids, from, to, skipSpecialTokens); // one run, nothing to join
        List<String> pieces = new ArrayList<>();
        int runStart = from;
        for (int i = from; i <= to; i++) {
            boolean added = i < to && tokenizer.isAddedToken(ids[i]);
            if (i == to || added) {
                if (i > runStart) pieces.add(tokenizer.decode(ids, runStart, i, skipSpecialTokens));
                if (added && !(skipSpecialTokens && tokenizer.isSpecial(ids[i]))) pieces.add(tokenizer.idToToken(ids[i]));
                runStart = i + 1;
            }
        }
        return String.join(" ", pieces);
    }

    private static boolean containsAddedToken(Tokenizer tokenizer, int[] ids, int from, int to) {
        for (int i = from; i < to; i++) if (tokenizer.isAddedToken(ids[i])) return true;
        return false;
    }
}
