package dev.pagoda.server;

import dev.pagoda.engine.sampling.TokenLogprobs;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's {@link TokenLogprobs} in each endpoint's own format. A token's text is what it adds
 * to the text after the tokens before it (decoding a SentencePiece token alone would lose its
 * leading space), so the tokens of a completion concatenate to its text. -inf (a masked token) is
 * reported as -9999.0, since JSON has no infinity.
 */
final class LogprobsFormat {
    private LogprobsFormat() {}

    static double finite(float logprob) {
        return Float.isFinite(logprob) ? logprob : -9999.0;
    }

    /** Tokens of context used to decode a token in place. */
    private static final int CONTEXT = 4;

    /** The text {@code id} adds after {@code context} (up to {@value #CONTEXT} tokens ending at {@code end}). */
    static String tokenText(Tokenizer tokenizer, int[] context, int end, int id) {
        int start = Math.max(0, end - CONTEXT);
        int[] before = java.util.Arrays.copyOfRange(context, start, end);
        int[] with = java.util.Arrays.copyOf(before, before.length + 1);
        with[before.length] = id;
        String a = tokenizer.decode(before, false), b = tokenizer.decode(with, false);
        return b.startsWith(a) ? b.substring(a.length()) : tokenizer.decode(new int[] {id}, false);
    }

    /**
     * The tokens before output position {@code i}: the prompt's then the output's.
     * @param promptIds {@code [numPromptTokens]}  @param outputIds {@code [numOutputTokens]}
     */
    record Context(int[] promptIds, int[] outputIds) {
        String text(Tokenizer tokenizer, int i, int id) {
            if (i >= CONTEXT || i >= 1 && promptIds.length == 0) return tokenText(tokenizer, outputIds, i, id);
            int[] joined = new int[Math.min(promptIds.length, CONTEXT) + i];
            int fromPrompt = joined.length - i;
            System.arraycopy(promptIds, promptIds.length - fromPrompt, joined, 0, fromPrompt);
            System.arraycopy(outputIds, 0, joined, fromPrompt, i);
            return tokenText(tokenizer, joined, joined.length, id);
        }
    }

    /** Completions format; offsets count from {@code startOffset} (the text already returned before these tokens). */
    static CompletionWire.Logprobs completion(Tokenizer tokenizer, Context ctx, int first, List<TokenLogprobs> entries, int startOffset) {
        List<Integer> offsets = new ArrayList<>();
        List<Double> logprobs = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        List<Map<String, Double>> tops = new ArrayList<>();
        int offset = startOffset;
        for (int k = 0; k < entries.size(); k++) {
            TokenLogprobs e = entries.get(k);
            int pos = first + k;
            String text = ctx.text(tokenizer, pos, e.tokenId());
            offsets.add(offset);
            offset += text.length();
            tokens.add(text);
            logprobs.add(finite(e.logprob()));
            Map<String, Double> top = new LinkedHashMap<>();
            for (int j = 0; j < e.numTop(); j++) top.putIfAbsent(ctx.text(tokenizer, pos, e.topTokenIds()[j]), finite(e.topLogprobs()[j]));
            top.putIfAbsent(text, finite(e.logprob())); // the sampled token is always listed (vLLM)
            tops.add(top);
        }
        return new CompletionWire.Logprobs(offsets, logprobs, tokens, tops);
    }

    /**
     * vLLM's {@code prompt_logprobs}: null for the first prompt token, then per token a map token id →
     * {logprob, rank, decoded_token} holding the prompt token itself (its true rank) and the top N
     * (ranks 1..N), in that order. Null when {@code entries} is.
     *
     * @param promptIds {@code [numPromptTokens]}  @param entries {@code [numPromptTokens]}, entry 0 null
     */
    static List<Map<String, CompletionWire.PromptLogprob>> promptLogprobs(Tokenizer tokenizer, int[] promptIds, List<TokenLogprobs> entries) {
        if (entries == null) return null;
        List<Map<String, CompletionWire.PromptLogprob>> out = new ArrayList<>(entries.size());
        for (int p = 0; p < entries.size(); p++) {
            TokenLogprobs e = entries.get(p);
            if (e == null) { out.add(null); continue; }
            Map<String, CompletionWire.PromptLogprob> m = new LinkedHashMap<>();
            m.put(Integer.toString(e.tokenId()), new CompletionWire.PromptLogprob(finite(e.logprob()), e.rank(),
                    tokenText(tokenizer, promptIds, p, e.tokenId())));
            for (int j = 0; j < e.numTop(); j++) {
                int id = e.topTokenIds()[j];
                m.put(Integer.toString(id), new CompletionWire.PromptLogprob(finite(e.topLogprobs()[j]), j + 1, tokenText(tokenizer, promptIds, p, id)));
            }
            out.add(m);
        }
        return out;
    }

    /**
     * Completions format for an echoed prompt (OpenAI's echo with logprobs): every prompt token, the
     * first with null logprob and alternatives; at most {@code maxTop} alternatives each, plus the token.
     * Offsets count from 0, the start of the echoed text.
     *
     * @param promptIds {@code [numPromptTokens]}  @param entries {@code [numPromptTokens]}, entry 0 null
     */
    static CompletionWire.Logprobs echoedPrompt(Tokenizer tokenizer, int[] promptIds, List<TokenLogprobs> entries, int maxTop) {
        List<Integer> offsets = new ArrayList<>();
        List<Double> logprobs = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        List<Map<String, Double>> tops = new ArrayList<>();
        int offset = 0;
        for (int p = 0; p < promptIds.length; p++) {
            TokenLogprobs e = entries.get(p);
            String text = tokenText(tokenizer, promptIds, p, promptIds[p]);
            offsets.add(offset);
            offset += text.length();
            tokens.add(text);
            if (e == null) {
                logprobs.add(null);
                tops.add(null);
                continue;
            }
            logprobs.add(finite(e.logprob()));
            Map<String, Double> top = new LinkedHashMap<>();
            for (int j = 0; j < Math.min(maxTop, e.numTop()); j++) {
                top.putIfAbsent(tokenText(tokenizer, promptIds, p, e.topTokenIds()[j]), finite(e.topLogprobs()[j]));
            }
            top.putIfAbsent(text, finite(e.logprob()));
            tops.add(top);
        }
        return new CompletionWire.Logprobs(offsets, logprobs, tokens, tops);
    }

    /** {@code a}'s tokens then {@code b}'s (either may be null). */
    static CompletionWire.Logprobs concat(CompletionWire.Logprobs a, CompletionWire.Logprobs b) {
        if (a == null) return b;
        if (b == null) return a;
        List<Integer> offsets = new ArrayList<>(a.textOffset());
        offsets.addAll(b.textOffset());
        List<Double> logprobs = new ArrayList<>(a.tokenLogprobs());
        logprobs.addAll(b.tokenLogprobs());
        List<String> tokens = new ArrayList<>(a.tokens());
        tokens.addAll(b.tokens());
        List<Map<String, Double>> tops = new ArrayList<>(a.topLogprobs());
        tops.addAll(b.topLogprobs());
        return new CompletionWire.Logprobs(offsets, logprobs, tokens, tops);
    }

    /** Chat format: {@code {"content": [{token, logprob, bytes, top_logprobs}]}}. */
    static ChatWire.Logprobs chat(Tokenizer tokenizer, Context ctx, int first, List<TokenLogprobs> entries) {
        List<ChatWire.TokenLogprob> content = new ArrayList<>();
        for (int k = 0; k < entries.size(); k++) {
            TokenLogprobs e = entries.get(k);
            int pos = first + k;
            String text = ctx.text(tokenizer, pos, e.tokenId());
            List<ChatWire.TopLogprob> top = new ArrayList<>();
            for (int j = 0; j < e.numTop(); j++) {
                String t = ctx.text(tokenizer, pos, e.topTokenIds()[j]);
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
