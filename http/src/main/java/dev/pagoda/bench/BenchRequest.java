package dev.pagoda.bench;

/**
 * One request of a benchmark dataset: the prompt as token ids (sent as ids, so its length is exact on
 * every path) and how many tokens to generate (with {@code ignore_eos}, exactly that many).
 *
 * @param promptTokenIds {@code [promptLen]}
 */
public record BenchRequest(int[] promptTokenIds, int outputLen) {
    public BenchRequest {
        if (promptTokenIds.length == 0) throw new IllegalArgumentException("a benchmark prompt needs at least one token");
        if (outputLen < 1) throw new IllegalArgumentException("a benchmark request must generate at least one token, got " + outputLen);
    }

    public int promptLen() {
        return promptTokenIds.length;
    }
}
