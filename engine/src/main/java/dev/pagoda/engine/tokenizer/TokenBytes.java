package dev.pagoda.engine.tokenizer;

/**
 * The bytes each token stands for under a byte-level decoder (GPT-2, Llama 3, Qwen), worked out once
 * when the tokenizer loads. Decoding ids is then the UTF-8 of their bytes laid end to end, with no
 * token strings built and mapped back character by character — what a streaming detokenizer does
 * twice for every generated token of every running sequence (vLLM's {@code detokenize_incrementally}).
 *
 * <p>Exactly {@link Decoder.ByteLevel#decodeChain} of the ids' token strings: that decoder maps each
 * token to bytes on its own ({@link Decoder.ByteLevel#bytesOf}, used here too) and decodes the
 * concatenation once, so the bytes of a token never depend on its neighbours.
 */
final class TokenBytes {
    /** [totalBytes] every token's bytes, in id order. */
    private final byte[] bytes;
    /** [vocabSize + 1] id's bytes are {@code bytes[offsets[id], offsets[id + 1])}; a hole has none. */
    private final int[] offsets;

    /** @param idToToken [vocabSize] token string of every id, null for holes */
    TokenBytes(String[] idToToken) {
        offsets = new int[idToToken.length + 1];
        byte[][] perToken = new byte[idToToken.length][];
        long total = 0;
        for (int id = 0; id < idToToken.length; id++) {
            perToken[id] = idToToken[id] == null ? new byte[0] : Decoder.ByteLevel.bytesOf(idToToken[id]);
            total += perToken[id].length;
            if (total > Integer.MAX_VALUE) throw new TokenizerException("the vocabulary's tokens stand for more than 2 GiB of bytes");
            offsets[id + 1] = (int) total;
        }
        bytes = new byte[(int) total];
        for (int id = 0; id < idToToken.length; id++) System.arraycopy(perToken[id], 0, bytes, offsets[id], perToken[id].length);
    }

    /**
     * The text of {@code ids[from, to)}: ids outside the vocabulary are dropped (as Hugging Face
     * does), and so are those marked in {@code skip} (null: none).
     */
    String decode(int[] ids, int from, int to, boolean[] skip) {
        int length = 0;
        for (int i = from; i < to; i++) if (decodes(ids[i], skip)) length += offsets[ids[i] + 1] - offsets[ids[i]];
        byte[] out = new byte[length];
        int at = 0;
        for (int i = from; i < to; i++) {
            int id = ids[i];
            if (!decodes(id, skip)) continue;
            int n = offsets[id + 1] - offsets[id];
            System.arraycopy(bytes, offsets[id], out, at, n);
            at += n;
        }
        return Utf8.decodeLossy(out);
    }

    private boolean decodes(int id, boolean[] skip) {
        return id >= 0 && id < offsets.length - 1 && (skip == null || !skip[id]);
    }
}
