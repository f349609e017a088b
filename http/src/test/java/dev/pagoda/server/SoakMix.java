package dev.pagoda.server;

import java.util.SplittableRandom;

/**
 * The request mix of {@link SoakTest}: request {@code i} is drawn from a generator seeded with
 * {@code (seed, i)}, so a run is reproducible request by request whatever the interleaving.
 * About 6% are bad requests (each must be a 4xx), the rest split evenly between completions and
 * chat, streaming and not, with prompts of 1–120 words, outputs of 1–128 tokens, and 12% of the
 * streams (plus 2% of the non-streaming requests) abandoned by the client part-way.
 */
final class SoakMix {
    private SoakMix() {}

    enum Kind { COMPLETION, CHAT, BAD }

    /**
     * One planned request.
     *
     * @param abortAfterChunks streaming: hang up after this many SSE data lines (0 = read to the end);
     *                         non-streaming: hang up this many milliseconds after sending (0 = wait for the answer)
     */
    record Planned(int index, Kind kind, String path, String body, boolean stream, int abortAfterChunks) {}

    private static final String[] WORDS = ("once upon a time there was a little girl named lily she liked to play "
            + "in the park with her dog max one day they found a big red ball and were very happy the sun was warm "
            + "and the birds sang tom said hello mom smiled").split(" ");

    /** Requests that must be refused with a 4xx, each for a different reason. */
    private static final String[][] BAD = {
            {"/v1/completions", "{\"prompt\": \"Once upon\", \"max_tokens\": 5"},
            {"/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": -1}"},
            {"/v1/completions", "{\"prompt\": \"x\", \"temperature\": \"hot\"}"},
            {"/v1/completions", "{\"model\": \"no-such-model\", \"prompt\": \"x\"}"},
            {"/v1/completions", "{\"prompt\": [99999]}"},
            {"/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 100000}"},
            {"/v1/completions", "{\"prompt\": \"x\", \"n\": 0}"},
            {"/v1/completions", "[1, 2, 3]"},
            {"/v1/chat/completions", "{\"messages\": []}"},
            {"/v1/chat/completions", "{\"messages\": [{\"content\": \"no role\"}]}"},
            {"/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"top_p\": 7}"},
    };

    static Planned plan(long seed, int index) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + index);
        if (r.nextInt(100) < 6) {
            String[] bad = BAD[r.nextInt(BAD.length)];
            return new Planned(index, Kind.BAD, bad[0], bad[1], false, 0);
        }
        boolean chat = r.nextBoolean();
        boolean stream = r.nextBoolean();
        int abort = stream ? (r.nextInt(100) < 12 ? 1 + r.nextInt(6) : 0) : (r.nextInt(100) < 2 ? 1 + r.nextInt(20) : 0);
        String prompt = words(r, 1 + r.nextInt(r.nextInt(100) < 80 ? 30 : 120));
        int maxTokens = new int[] {1, 4, 8, 16, 32, 64, 128}[r.nextInt(7)];
        StringBuilder b = new StringBuilder("{");
        if (chat) {
            b.append("\"messages\": [");
            if (r.nextBoolean()) b.append("{\"role\": \"system\", \"content\": \"").append(words(r, 3)).append("\"}, ");
            b.append("{\"role\": \"user\", \"content\": \"").append(prompt).append("\"}]");
            b.append(", \"max_completion_tokens\": ").append(maxTokens);
        } else {
            b.append("\"model\": \"stories260k\", \"prompt\": \"").append(prompt).append('"');
            b.append(", \"max_tokens\": ").append(maxTokens);
        }
        if (r.nextBoolean()) b.append(", \"ignore_eos\": true");
        boolean greedy = r.nextInt(4) == 0;
        b.append(", \"temperature\": ").append(greedy ? "0" : "0.8");
        if (!greedy && r.nextInt(4) == 0) b.append(", \"n\": 2"); // greedy sampling allows n = 1 only
        if (r.nextInt(5) == 0) b.append(", \"seed\": ").append(r.nextInt(1000));
        if (stream) {
            b.append(", \"stream\": true");
            if (r.nextBoolean()) b.append(", \"stream_options\": {\"include_usage\": true}");
        }
        b.append('}');
        return new Planned(index, chat ? Kind.CHAT : Kind.COMPLETION, chat ? "/v1/chat/completions" : "/v1/completions",
                b.toString(), stream, abort);
    }

    private static String words(SplittableRandom r, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(' ');
            sb.append(WORDS[r.nextInt(WORDS.length)]);
        }
        return sb.toString();
    }
}
