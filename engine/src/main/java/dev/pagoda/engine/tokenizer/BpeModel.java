package dev.pagoda.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model of a {@code tokenizer.json} ({@code "model": {"type": "BPE"}}): turns one
 * pre-tokenized word into token ids.
 *
 * <p>A word starts as one symbol per character (or, for byte-level vocabularies, per UTF-8 byte);
 * a character missing from the vocabulary becomes its {@code <0xNN>} byte tokens when
 * {@code byte_fallback} is set, else the unknown token. Then the adjacent pair with the lowest merge
 * rank is merged, leftmost first, until no pair merges — with a min-heap of (rank, position), as
 * Hugging Face does, so long words (SentencePiece files have no pre-tokenizer and pass whole
 * sentences) stay O(n log n). Results for short words are cached.
 */
final class BpeModel {
    /** Words longer than this are not cached (Hugging Face uses the same bound). */
    private static final int MAX_CACHED_WORD_CHARS = 256;
    private static final int MAX_CACHE_ENTRIES = 200_000;

    private final Map<String, Integer> vocab;
    /** [vocabSize] token string of each model id (null for holes). */
    private final String[] idToToken;
    private final MergeTable merges;
    private final int unkId;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    /** True when the pre-tokenizer spells words in the byte-level alphabet: symbols start as bytes. */
    private final boolean byteLevel;
    /** [65536] id of each single BMP character as a token, or -1. */
    private final int[] charIds = new int[65536];
    /** [256] id of each byte as a symbol: the byte-level character, or the {@code <0xNN>} token; -1 if absent. */
    private final int[] byteIds = new int[256];
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    /** Cuts long SentencePiece words into cacheable pieces, or null (byte-level, or not provably exact). */
    private final MetaspaceBoundaries boundaries;

    private BpeModel(Map<String, Integer> vocab, String[] idToToken, MergeTable merges, int unkId, boolean fuseUnk,
                     boolean byteFallback, boolean ignoreMerges, boolean byteLevel) {
        this.vocab = vocab;
        this.idToToken = idToToken;
        this.merges = merges;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.byteLevel = byteLevel;
        boundaries = byteLevel ? null : MetaspaceBoundaries.forVocabulary(vocab.keySet());
        Arrays.fill(charIds, -1);
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            String t = e.getKey();
            if (t.length() == 1) charIds[t.charAt(0)] = e.getValue();
        }
        for (int b = 0; b < 256; b++) {
            String spelled = byteLevel ? String.valueOf(ByteLevelAlphabet.charOf(b)) : String.format("<0x%02X>", b);
            byteIds[b] = vocab.getOrDefault(spelled, -1);
        }
    }

    /** Reads {@code "model"}; {@code byteLevel} says whether the pre-tokenizer maps words to bytes. */
    static BpeModel fromJson(Map<String, Object> model, boolean byteLevel) {
        Object type = model.get("type");
        if (type != null && !"BPE".equals(type)) throw TokenizerException.unsupported("model", type);
        if (model.get("dropout") instanceof Number d && d.doubleValue() > 0) {
            throw new TokenizerException("unsupported tokenizer.json feature: model.dropout " + d + " (BPE dropout is for training)");
        }
        for (String affix : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            if (model.get(affix) instanceof String s && !s.isEmpty()) {
                throw new TokenizerException("unsupported tokenizer.json feature: model." + affix + " '" + s + "'");
            }
        }
        Map<String, Integer> vocab = new HashMap<>();
        int maxId = -1;
        if (!(model.get("vocab") instanceof Map<?, ?> v)) throw new TokenizerException("tokenizer.json: model.vocab must be an object");
        for (Map.Entry<?, ?> e : v.entrySet()) {
            if (!(e.getValue() instanceof Long id) || id < 0 || id > Tokenizer.MAX_TOKEN_ID) {
                throw new TokenizerException("tokenizer.json: model.vocab['" + e.getKey() + "'] must be an integer id in [0, "
                        + Tokenizer.MAX_TOKEN_ID + "], got " + e.getValue());
            }
            vocab.put((String) e.getKey(), id.intValue());
            maxId = Math.max(maxId, id.intValue());
        }
        String[] idToToken = new String[maxId + 1];
        vocab.forEach((t, id) -> idToToken[id] = t);

        List<?> mergeList = model.get("merges") instanceof List<?> l ? l : List.of();
        MergeTable table = new MergeTable(mergeList.size());
        for (int rank = 0; rank < mergeList.size(); rank++) {
            String a, b;
            Object m = mergeList.get(rank);
            if (m instanceof String s) { // "a b"
                int space = s.indexOf(' ');
                if (space < 0 || s.indexOf(' ', space + 1) >= 0) {
                    throw new TokenizerException("tokenizer.json: model.merges[" + rank + "] '" + s + "' is not two tokens separated by one space");
                }
                a = s.substring(0, space);
                b = s.substring(space + 1);
            } else if (m instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof String x && pair.get(1) instanceof String y) {
                a = x; // ["a", "b"]
                b = y;
            } else {
                throw new TokenizerException("tokenizer.json: model.merges[" + rank + "] must be \"a b\" or [\"a\", \"b\"]");
            }
            Integer ia = vocab.get(a), ib = vocab.get(b), im = vocab.get(a + b);
            if (ia == null || ib == null || im == null) {
                throw new TokenizerException("tokenizer.json: model.merges[" + rank + "] (" + a + ", " + b + ") uses a token missing from model.vocab");
            }
            table.put(ia, ib, rank, im);
        }
        int unkId = -1;
        if (model.get("unk_token") instanceof String unk) {
            Integer id = vocab.get(unk);
            if (id == null) throw new TokenizerException("tokenizer.json: model.unk_token '" + unk + "' is not in model.vocab");
            unkId = id;
        }
        return new BpeModel(vocab, idToToken, table, unkId,
                Boolean.TRUE.equals(model.get("fuse_unk")),
                Boolean.TRUE.equals(model.get("byte_fallback")),
                Boolean.TRUE.equals(model.get("ignore_merges")),
                byteLevel);
    }

    int vocabSize() {
        return idToToken.length;
    }

    /** The model's token string for an id, or null. */
    String idToToken(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    Integer tokenToId(String token) {
        return vocab.get(token);
    }

    void clearCache() {
        cache.clear();
    }

    /** Appends the ids of one word (in its original spelling; byte-level mapping happens here). */
    void encodeWord(String word, IntList out) {
        if (boundaries != null && word.length() > MAX_CACHED_WORD_CHARS / 8) {
            IntList cuts = boundaries.cuts(word);
            if (cuts.size() > 1) {
                for (int i = 0; i < cuts.size(); i++) {
                    encodePiece(word.substring(cuts.get(i), i + 1 < cuts.size() ? cuts.get(i + 1) : word.length()), out);
                }
                return;
            }
        }
        encodePiece(word, out);
    }

    private void encodePiece(String word, IntList out) {
        if (word.isEmpty()) return;
        boolean cacheable = word.length() <= MAX_CACHED_WORD_CHARS;
        if (cacheable) {
            int[] hit = cache.get(word);
            if (hit != null) {
                out.addAll(hit);
                return;
            }
        }
        int[] ids = tokenize(word);
        if (cacheable && cache.size() < MAX_CACHE_ENTRIES) cache.put(word, ids);
        out.addAll(ids);
    }

    private int[] tokenize(String word) {
        byte[] utf8 = byteLevel ? word.getBytes(StandardCharsets.UTF_8) : null;
        if (ignoreMerges) {
            Integer whole = vocab.get(byteLevel ? ByteLevelAlphabet.encode(utf8) : word);
            if (whole != null) return new int[] {whole};
        }
        IntList symbols = byteLevel ? byteSymbols(utf8) : charSymbols(word);
        return merge(symbols);
    }

    /** Initial symbols of a byte-level word: one per UTF-8 byte. */
    private IntList byteSymbols(byte[] utf8) {
        IntList s = new IntList(utf8.length);
        boolean pendingUnk = false;
        for (byte b : utf8) {
            int id = byteIds[b & 0xFF];
            if (id >= 0) {
                pendingUnk = flushUnknown(s, pendingUnk);
                s.add(id);
            } else {
                pendingUnk = addUnknown(s, pendingUnk);
            }
        }
        flushUnknown(s, pendingUnk);
        return s;
    }

    /**
     * Initial symbols of a character-level word: one per code point; an unknown code point becomes
     * its byte tokens or the unknown token. The pending-unk bookkeeping follows Hugging Face's
     * {@code BPE::merge_word} exactly, quirks included (byte tokens do not flush a pending unk, and
     * without an unk_token an unknown character is dropped).
     */
    private IntList charSymbols(String word) {
        IntList s = new IntList(word.length());
        boolean pendingUnk = false;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int n = Character.charCount(cp);
            int id;
            if (n == 1) {
                id = charIds[cp];
            } else {
                Integer boxed = vocab.get(word.substring(i, i + n));
                id = boxed == null ? -1 : boxed;
            }
            if (id >= 0) {
                pendingUnk = flushUnknown(s, pendingUnk);
                s.add(id);
            } else if (!(byteFallback && addBytes(s, cp))) {
                pendingUnk = addUnknown(s, pendingUnk);
            }
            i += n;
        }
        flushUnknown(s, pendingUnk);
        return s;
    }

    /** Adds the {@code <0xNN>} tokens of a code point, if the vocabulary has all of them. */
    private boolean addBytes(IntList s, int cp) {
        byte[] bytes = Character.toString(cp).getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) if (byteIds[b & 0xFF] < 0) return false;
        for (byte b : bytes) s.add(byteIds[b & 0xFF]);
        return true;
    }

    /** One more unknown symbol; returns whether an unk is now pending. */
    private boolean addUnknown(IntList s, boolean pendingUnk) {
        if (unkId < 0) return false;
        if (pendingUnk && !fuseUnk) s.add(unkId);
        return true;
    }

    private boolean flushUnknown(IntList s, boolean pendingUnk) {
        if (pendingUnk) s.add(unkId);
        return false;
    }

    /** Applies merges, lowest rank first and leftmost among equals, as Hugging Face's {@code Word::merge_all}. */
    private int[] merge(IntList symbols) {
        int n = symbols.size();
        if (n < 2) return symbols.toArray();
        int[] ids = symbols.toArray();
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            int slot = merges.find(ids[i], ids[i + 1]);
            if (slot >= 0) heap.push(((long) merges.rankAt(slot) << 32) | i);
        }
        int alive = n;
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            if (ids[pos] < 0) continue; // already merged into its left neighbour
            int right = next[pos];
            if (right < 0) continue;
            int slot = merges.find(ids[pos], ids[right]);
            if (slot < 0 || merges.rankAt(slot) != rank) continue; // stale: a neighbour changed
            ids[pos] = merges.mergedAt(slot);
            ids[right] = -1;
            alive--;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) prev[after] = pos;
            int before = prev[pos];
            if (before >= 0) {
                int s = merges.find(ids[before], ids[pos]);
                if (s >= 0) heap.push(((long) merges.rankAt(s) << 32) | before);
            }
            if (after >= 0) {
                int s = merges.find(ids[pos], ids[after]);
                if (s >= 0) heap.push(((long) merges.rankAt(s) << 32) | pos);
            }
        }
        int[] out = new int[alive];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) out[k++] = ids[i];
        return out;
    }

    /** A binary min-heap of longs: (rank &lt;&lt; 32 | position) pops by rank, then position. */
    private static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) {
            a = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (a[parent] <= v) break;
                a[i] = a[parent];
                i = parent;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long last = a[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) break;
                if (child + 1 < size && a[child + 1] < a[child]) child++;
                if (a[child] >= last) break;
                a[i] = a[child];
                i = child;
            }
            a[i] = last;
            return top;
        }
    }
}
