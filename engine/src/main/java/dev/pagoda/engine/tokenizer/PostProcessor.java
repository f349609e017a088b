package dev.pagoda.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * The {@code "post_processor"} of a {@code tokenizer.json}: adds BOS/EOS-style special tokens around
 * a single sequence when {@code add_special_tokens} is true. Only ids matter here (ByteLevel's
 * offset trimming has no effect on them); pair templates are not used by an inference engine.
 */
sealed interface PostProcessor {
    int[] process(int[] ids, boolean addSpecialTokens);

    /** {@code TemplateProcessing}: the {@code single} template, e.g. {@code <s> $A}. */
    record Template(List<int[]> before, List<int[]> after) implements PostProcessor {
        public int[] process(int[] ids, boolean addSpecialTokens) {
            if (!addSpecialTokens) return ids;
            IntList out = new IntList(ids.length + 4);
            before.forEach(out::addAll);
            out.addAll(ids);
            after.forEach(out::addAll);
            return out.toArray();
        }
    }

    /** ByteLevel as a post-processor only trims offsets: ids pass through. */
    record Identity() implements PostProcessor {
        public int[] process(int[] ids, boolean addSpecialTokens) {
            return ids;
        }
    }

    record Sequence(List<PostProcessor> processors) implements PostProcessor {
        public int[] process(int[] ids, boolean addSpecialTokens) {
            for (PostProcessor p : processors) ids = p.process(ids, addSpecialTokens);
            return ids;
        }
    }

    /** Reads a post-processor; {@code tokenId} resolves token strings (for Bert/Roberta styles). */
    static PostProcessor fromJson(Object json, ToIntFunction<String> tokenId) {
        if (json == null) return new Identity();
        if (!(json instanceof Map<?, ?> m)) throw new TokenizerException("tokenizer.json: post_processor must be an object");
        Object type = m.get("type");
        return switch (String.valueOf(type)) {
            case "ByteLevel" -> new Identity();
            case "Sequence" -> {
                List<PostProcessor> list = new ArrayList<>();
                for (Object o : JsonFields.list(m, "processors", "post_processor Sequence")) list.add(fromJson(o, tokenId));
                yield new Sequence(List.copyOf(list));
            }
            case "TemplateProcessing" -> template(m);
            case "BertProcessing", "RobertaProcessing" -> {
                // {"cls": ["<s>", 0], "sep": ["</s>", 2]}: single = cls $A sep
                int cls = pairId(m, "cls"), sep = pairId(m, "sep");
                yield new Template(List.<int[]>of(new int[] {cls}), List.<int[]>of(new int[] {sep}));
            }
            default -> throw TokenizerException.unsupported("post_processor", type);
        };
    }

    private static int pairId(Map<?, ?> m, String key) {
        if (m.get(key) instanceof List<?> l && l.size() == 2 && l.get(1) instanceof Long id) return id.intValue();
        throw new TokenizerException("tokenizer.json: post_processor needs '" + key + "' as [token, id]");
    }

    private static Template template(Map<?, ?> m) {
        Map<?, ?> specials = m.get("special_tokens") instanceof Map<?, ?> s ? s : Map.of();
        List<int[]> before = new ArrayList<>(), after = new ArrayList<>();
        boolean seenSequence = false;
        for (Object item : JsonFields.list(m, "single", "post_processor TemplateProcessing")) {
            if (!(item instanceof Map<?, ?> piece)) throw new TokenizerException("tokenizer.json: TemplateProcessing.single items must be objects");
            if (piece.get("Sequence") instanceof Map<?, ?> seq) {
                if (!"A".equals(seq.get("id")) || seenSequence) {
                    throw new TokenizerException("tokenizer.json: TemplateProcessing.single must contain the sequence $A exactly once");
                }
                seenSequence = true;
            } else if (piece.get("SpecialToken") instanceof Map<?, ?> special && special.get("id") instanceof String name) {
                if (!(specials.get(name) instanceof Map<?, ?> def) || !(def.get("ids") instanceof List<?> idList)) {
                    throw new TokenizerException("tokenizer.json: TemplateProcessing special token '" + name + "' is missing from special_tokens");
                }
                int[] ids = new int[idList.size()];
                for (int i = 0; i < ids.length; i++) ids[i] = ((Number) idList.get(i)).intValue();
                (seenSequence ? after : before).add(ids);
            } else {
                throw new TokenizerException("tokenizer.json: unknown TemplateProcessing item " + piece.keySet());
            }
        }
        if (!seenSequence) throw new TokenizerException("tokenizer.json: TemplateProcessing.single has no $A");
        return new Template(List.copyOf(before), List.copyOf(after));
    }
}
