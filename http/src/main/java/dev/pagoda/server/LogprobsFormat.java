package dev.pagoda.server;

import dev.pagoda.engine.sampling.TokenLogprobs;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's {@link TokenLogprobs} in each endpoint's own format. A token's text is the
 * tokenizer's decoding of that one token (as vLLM); -inf (a masked token) is reported as -9999.0,
 * since JSON has no infinity.
 */
final class LogprobsFormat {
    private LogprobsFormat() {}

    static double finite(float logprob) {
        return Float.isFinite(logprob) ? logprob : -9999.0;
    }

    static String tokenText(Tokenizer tokenizer, int id) {
        return tokenizer.decode(new int[] {id}, false);
    }

    /** Completions format; offsets count from {@code startOffset} (the text already returned before these tokens). */
    static CompletionWire.Logprobs completion(Tokenizer tokenizer, List<TokenLogprobs> entries, int startOffset) {
        List<Integer> offsets = new ArrayList<>();
        List<Double> logprobs = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        List<Map<String, Double>> tops = new ArrayList<>();
        int offset = startOffset;
        for (TokenLogprobs e : entries) {
            String text = tokenText(tokenizer, e.tokenId());
            offsets.add(offset);
            offset += text.length();
            tokens.add(text);
            logprobs.add(finite(e.logprob()));
            Map<String, Double> top = new LinkedHashMap<>();
            for (int j = 0; j < e.numTop(); j++) top.putIfAbsent(tokenText(tokenizer, e.topTokenIds()[j]), finite(e.topLogprobs()[j]));
            top.putIfAbsent(text, finite(e.logprob())); // the sampled token is always listed (vLLM)
            tops.add(top);
        }
        return new CompletionWire.Logprobs(offsets, logprobs, tokens, tops);
    }

    /** Chat format: {@code {"content": [{token, logprob, bytes, top_logprobs}]}}. */
    static ChatWire.Logprobs chat(Tokenizer tokenizer, List<TokenLogprobs> entries) {
        List<ChatWire.TokenLogprob> content = new ArrayList<>();
        for (TokenLogprobs e : entries) {
            String text = tokenText(tokenizer, e.tokenId());
            List<ChatWire.TopLogprob> top = new ArrayList<>();
            for (int j = 0; j < e.numTop(); j++) {
                String t = tokenText(tokenizer, e.topTokenIds()[j]);
                top.add(new ChatWire.TopLogprob(t, finite(e.topLogprobs()[j]), bytes(t)));
            }
            content.add(new ChatWire.TokenLogprob(text, finite(e.logprob()), bytes(text), top));
        }
        return new ChatWire.Logprobs(content, null);
    }

    private static List<Integer> bytes(String s) {
        List<Integer> out = new ArrayList<>();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) out.add(b & 0xff);
        return out;
    }
}
