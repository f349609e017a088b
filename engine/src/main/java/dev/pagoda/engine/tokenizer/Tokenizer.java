package dev.pagoda.engine.tokenizer;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.json.JsonException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.UnaryOperator;

/**
 * A Hugging Face {@code tokenizer.json} tokenizer (BPE: byte-level as in GPT-2/Llama 3/Qwen, or
 * SentencePiece-style with byte fallback as in Llama 2/Mistral/Gemma), giving the same ids as the
 * Rust {@code tokenizers} library.
 *
 * <p>Encoding runs the same pipeline: added tokens are cut out → each remaining piece is normalized
 * → pre-tokenized into words → each word is BPE-encoded → the post-processor adds BOS/EOS.
 * Instances are immutable and thread-safe.
 */
public final class Tokenizer {
    /**
     * The largest token id accepted from tokenizer.json (2^22 − 1). Ids index arrays here, so an id
     * near 2^31 in a corrupt file would size a gigabyte array; the largest real vocabularies have
     * about 2^18 tokens.
     */
    public static final int MAX_TOKEN_ID = (1 << 22) - 1;

    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final BpeModel model;
    private final AddedVocabulary addedVocabulary;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final TokenizerConfig config;
    /** [vocabSize] token string of every id (added tokens override the model's), null for holes. */
    private final String[] idToToken;
    /** [vocabSize] whether the id is an added token marked {@code special}. */
    private final boolean[] special;
    /** [vocabSize] whether the id is one of {@code added_tokens}. */
    private final boolean[] added;
    private final Map<String, Integer> addedTokenIds = new HashMap<>();
    /** Each token's bytes when the decoder is byte-level alone (the fast decode), else null. */
    private final TokenBytes tokenBytes;

    private Tokenizer(Map<String, Object> json, TokenizerConfig config, String file) {
        Object version = json.get("version");
        if (version != null && !"1.0".equals(version)) throw new TokenizerException(file + ": unsupported tokenizer.json version '" + version + "'");
        // "truncation" and "padding" are deliberately ignored: transformers switches them off unless a
        // call asks for them, and an inference engine must never cut a prompt silently.
        this.config = config;
        normalizer = Normalizer.fromJson(json.get("normalizer"));
        preTokenizer = PreTokenizer.fromJson(json.get("pre_tokenizer"));
        if (!(json.get("model") instanceof Map<?, ?> modelJson)) throw new TokenizerException(file + ": missing 'model'");
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) modelJson;
        model = BpeModel.fromJson(m, preTokenizer != null && preTokenizer.byteLevel());
        List<AddedVocabulary.AddedToken> addedTokens = AddedVocabulary.fromJson(json.get("added_tokens"));
        addedVocabulary = new AddedVocabulary(addedTokens, normalizerFunction());
        decoder = Decoder.fromJson(json.get("decoder"));

        int size = model.vocabSize();
        for (AddedVocabulary.AddedToken t : addedTokens) size = Math.max(size, t.id() + 1);
        idToToken = new String[size];
        special = new boolean[size];
        added = new boolean[size];
        for (int id = 0; id < model.vocabSize(); id++) idToToken[id] = model.idToToken(id);
        for (AddedVocabulary.AddedToken t : addedTokens) {
            idToToken[t.id()] = t.content();
            special[t.id()] = t.special();
            added[t.id()] = true;
            addedTokenIds.putIfAbsent(t.content(), t.id());
        }
        tokenBytes = decoder instanceof Decoder.ByteLevel ? new TokenBytes(idToToken) : null;
        postProcessor = PostProcessor.fromJson(json.get("post_processor"), token -> tokenToId(token).orElseThrow(
                () -> new TokenizerException(file + ": post_processor token '" + token + "' is not in the vocabulary")));
    }

    /** Loads {@code dir/tokenizer.json} and, if present, {@code dir/tokenizer_config.json}. */
    public static Tokenizer fromDirectory(Path dir) {
        Path file = dir.resolve("tokenizer.json");
        try {
            return new Tokenizer(Json.parseObject(Files.readString(file)), TokenizerConfig.load(dir), file.toString());
        } catch (IOException e) {
            throw new TokenizerException("cannot read " + file + ": " + e.getMessage());
        } catch (JsonException e) {
            throw new TokenizerException(file + ": " + e.getMessage());
        } catch (TokenizerException e) {
            throw e.getMessage().contains(file.toString()) ? e : new TokenizerException(file + ": " + e.getMessage());
        }
    }

    private UnaryOperator<String> normalizerFunction() {
        return normalizer == null ? UnaryOperator.identity() : normalizer::normalize;
    }

    /**
     * Token ids of a text. Added-token strings in the text (e.g. {@code "<|eot_id|>"}) always become
     * their ids; {@code addSpecialTokens} (Hugging Face's {@code add_special_tokens}) only controls
     * whether the post-processor adds BOS/EOS.
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        IntList ids = new IntList(text.length() / 3 + 4);
        for (AddedVocabulary.Segment s : addedVocabulary.extractAndNormalize(text, normalizerFunction())) {
            if (s.id() >= 0) ids.add(s.id());
            else if (preTokenizer == null) model.encodeWord(s.text(), ids);
            else preTokenizer.split(s.text(), s.atStart(), (word, atStart) -> model.encodeWord(word, ids));
        }
        return postProcessor.process(ids.toArray(), addSpecialTokens);
    }

    /** Text of token ids, as Hugging Face's {@code decode} (no clean-up of tokenization spaces). */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        return decode(ids, 0, ids.length, skipSpecialTokens);
    }

    /**
     * Text of {@code ids[from, to)}: {@code decodeTokens(tokens(ids, from, to, skipSpecialTokens))},
     * without the token strings when the decoder is byte-level ({@link TokenBytes}).
     */
    String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
        if (tokenBytes != null) return tokenBytes.decode(ids, from, to, skipSpecialTokens ? special : null);
        return decodeTokens(tokens(ids, from, to, skipSpecialTokens));
    }

    /**
     * Text of token ids; with {@code spacesBetweenSpecialTokens}, as transformers' slow tokenizers
     * decode: added tokens and the text runs between them joined by single spaces.
     */
    public String decode(int[] ids, boolean skipSpecialTokens, boolean spacesBetweenSpecialTokens) {
        if (!spacesBetweenSpecialTokens) return decode(ids, skipSpecialTokens);
        return IncrementalDetokenizer.decodeWithSpacesBetweenAddedTokens(this, ids, 0, ids.length, skipSpecialTokens);
    }

    /** The token strings of {@code ids[from, to)} that decoding uses (unknown ids are dropped, as in Hugging Face). */
    List<String> tokens(int[] ids, int from, int to, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            int id = ids[i];
            if (id < 0 || id >= idToToken.length || idToToken[id] == null) continue;
            if (skipSpecialTokens && special[id]) continue;
            tokens.add(idToToken[id]);
        }
        return tokens;
    }

    /** Runs the decoder over token strings. */
    String decodeTokens(List<String> tokens) {
        if (decoder == null) return String.join(" ", tokens);
        return String.join("", decoder.decodeChain(tokens));
    }

    /**
     * transformers' {@code clean_up_tokenization}: removes the space before punctuation and English
     * contractions. transformers' {@code decode} applies it when {@code clean_up_tokenization_spaces}
     * is set ({@link TokenizerConfig#cleanUpTokenizationSpaces()}); Hugging Face's Rust decode and
     * vLLM's streaming do not, so {@link #decode} does not either.
     */
    public static String cleanUpTokenizationSpaces(String text) {
        return text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    /** Number of ids: one more than the largest id of the model vocabulary or the added tokens. */
    public int vocabSize() {
        return idToToken.length;
    }

    public OptionalInt bosTokenId() {
        return config.bosToken() == null ? OptionalInt.empty() : tokenToId(config.bosToken());
    }

    /** The EOS id named by {@code tokenizer_config.json} (empty if none). */
    public List<Integer> eosTokenIds() {
        if (config.eosToken() == null) return List.of();
        OptionalInt id = tokenToId(config.eosToken());
        return id.isPresent() ? List.of(id.getAsInt()) : List.of();
    }

    public String idToToken(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    public OptionalInt tokenToId(String token) {
        Integer id = addedTokenIds.get(token);
        if (id == null) id = model.tokenToId(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** True for added tokens marked special (what {@code skip_special_tokens} removes). */
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    /** True for ids listed in {@code added_tokens} (special or not). */
    public boolean isAddedToken(int id) {
        return id >= 0 && id < added.length && added[id];
    }

    /** Empties the per-word BPE cache (for cold-cache benchmarks). */
    void clearCache() {
        model.clearCache();
    }

    public TokenizerConfig config() {
        return config;
    }
}
