package dev.pagoda.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code "decoder"} of a {@code tokenizer.json}: turns token strings back into text. Like Hugging
 * Face's {@code decode_chain}, each step maps a list of strings to a list of strings; the result is
 * their concatenation.
 */
sealed interface Decoder {
    List<String> decodeChain(List<String> tokens);

    /** GPT-2 byte-level: characters back to bytes, then UTF-8 with U+FFFD for invalid sequences. */
    record ByteLevel() implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String t : tokens) bytes.writeBytes(bytesOf(t));
            return List.of(Utf8.decodeLossy(bytes.toByteArray()));
        }

        /** One token's bytes: its characters back to bytes, or its UTF-8 if one is outside the alphabet (an added token). */
        static byte[] bytesOf(String token) {
            byte[] mapped = new byte[token.length()];
            for (int i = 0; i < token.length(); i++) {
                int b = ByteLevelAlphabet.byteOf(token.charAt(i));
                if (b < 0) return token.getBytes(StandardCharsets.UTF_8);
                mapped[i] = (byte) b;
            }
            return mapped;
        }
    }

    /** Replaces a literal string in each token (e.g. "▁" → " "). */
    record Replace(String pattern, String content) implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) out.add(t.replace(pattern, content));
            return out;
        }
    }

    /**
     * SentencePiece byte fallback: a run of {@code <0xNN>} tokens becomes its UTF-8 text, or one
     * U+FFFD per byte if the run is not valid UTF-8.
     */
    record ByteFallback() implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            ByteArrayOutputStream run = new ByteArrayOutputStream();
            for (String t : tokens) {
                int b = byteToken(t);
                if (b >= 0) {
                    run.write(b);
                    continue;
                }
                flush(run, out);
                out.add(t);
            }
            flush(run, out);
            return out;
        }

        /** The byte of a {@code <0xNN>} token, or -1. */
        static int byteToken(String t) {
            if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
            int hi = Character.digit(t.charAt(3), 16), lo = Character.digit(t.charAt(4), 16);
            return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        }

        private static void flush(ByteArrayOutputStream run, List<String> out) {
            if (run.size() == 0) return;
            String s = Utf8.decodeStrict(run.toByteArray());
            if (s != null) out.add(s);
            else for (int i = 0; i < run.size(); i++) out.add("\uFFFD");
            run.reset();
        }
    }

    /** Joins all tokens into one. */
    record Fuse() implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing {@code content} characters from each token. */
    record Strip(char content, int start, int stop) implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                int[] cps = t.codePoints().toArray();
                int from = 0, to = cps.length;
                for (int i = 0; i < start && i < cps.length && cps[i] == content; i++) from = i + 1;
                for (int i = 0; i < stop && cps.length - 1 - i >= from && cps[cps.length - 1 - i] == content; i++) to = cps.length - 1 - i;
                out.add(new String(cps, from, Math.max(0, to - from)));
            }
            return out;
        }
    }

    /**
     * Metaspace: "▁" back to spaces; in the first token every "▁" is dropped when the pre-tokenizer
     * prepends one (Hugging Face does exactly this, not just the leading one).
     */
    record Metaspace(char replacement, boolean prepended) implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                out.add(i == 0 && prepended ? t.replace(String.valueOf(replacement), "") : t.replace(replacement, ' '));
            }
            return out;
        }
    }

    record Sequence(List<Decoder> decoders) implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            for (Decoder d : decoders) tokens = d.decodeChain(tokens);
            return tokens;
        }
    }

    /** Reads a decoder; null (JSON null) means none (tokens are then joined with spaces). */
    static Decoder fromJson(Object json) {
        if (json == null) return null;
        if (!(json instanceof Map<?, ?> m)) throw new TokenizerException("tokenizer.json: decoder must be an object");
        Object type = m.get("type");
        return switch (String.valueOf(type)) {
            case "ByteLevel" -> new ByteLevel();
            case "ByteFallback" -> new ByteFallback();
            case "Fuse" -> new Fuse();
            case "Replace" -> {
                if (m.get("pattern") instanceof Map<?, ?> p && p.get("String") instanceof String s) {
                    yield new Replace(s, JsonFields.string(m, "content", "decoder Replace"));
                }
                throw new TokenizerException("unsupported tokenizer.json feature: decoder Replace with a non-literal pattern");
            }
            case "Strip" -> {
                String content = JsonFields.string(m, "content", "decoder Strip");
                if (content.length() != 1) throw new TokenizerException("tokenizer.json: decoder Strip content must be one character");
                yield new Strip(content.charAt(0), JsonFields.integer(m, "start", 0), JsonFields.integer(m, "stop", 0));
            }
            case "Metaspace" -> {
                String replacement = JsonFields.string(m, "replacement", "decoder Metaspace");
                if (replacement.length() != 1) throw new TokenizerException("tokenizer.json: Metaspace replacement must be one character");
                String scheme = m.get("prepend_scheme") instanceof String s ? s
                        : JsonFields.bool(m, "add_prefix_space", true) ? "always" : "never";
                yield new Metaspace(replacement.charAt(0), !"never".equals(scheme));
            }
            case "Sequence" -> {
                List<Decoder> list = new ArrayList<>();
                for (Object o : JsonFields.list(m, "decoders", "decoder Sequence")) list.add(fromJson(o));
                yield new Sequence(List.copyOf(list));
            }
            default -> throw TokenizerException.unsupported("decoder", type);
        };
    }
}
