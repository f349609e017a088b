package dev.pagoda.bench;

import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * {@code --dataset sotu}: real English prompts from the State of the Union corpus (one speech per
 * {@code .txt} file, the test fixture in {@code ~/.cache/pagoda-fixtures/corpus/sotu}). The speeches,
 * in an order shuffled by the seed, are tokenized one after another into a stream of token ids;
 * prompt i is the next window of its drawn length (lengths as {@link RandomDataset}), prefixed with
 * the tokenizer's BOS where it has one. Ids are sent, so a prompt's length is exact.
 */
public final class SotuDataset {
    private SotuDataset() {}

    /** The fetched fixture's place: {@code ~/.cache/pagoda-fixtures/corpus/sotu}. */
    public static Path defaultPath() {
        return Path.of(System.getProperty("user.home"), ".cache", "pagoda-fixtures", "corpus", "sotu");
    }

    public static List<BenchRequest> sample(Path dir, Tokenizer tokenizer, int numRequests, int inputLen, int outputLen, double rangeRatio,
                                            long seed) {
        List<Path> speeches = speeches(dir);
        Random random = new Random(seed);
        Collections.shuffle(speeches, random);
        int bos = tokenizer.bosTokenId().orElse(-1);
        List<BenchRequest> out = new ArrayList<>(numRequests);
        int[] stream = new int[0];
        int pos = 0, next = 0;
        for (int i = 0; i < numRequests; i++) {
            int in = Math.max(1, RandomDataset.uniform(random, inputLen, rangeRatio));
            int outLen = Math.max(1, RandomDataset.uniform(random, outputLen, rangeRatio));
            int body = bos >= 0 ? in - 1 : in;
            int emptyInARow = 0;
            while (stream.length - pos < body) { // tokenize the next speech (round the corpus again when needed)
                int[] more = tokenizer.encode(read(speeches.get(next++ % speeches.size())), false);
                if (more.length == 0 && ++emptyInARow >= speeches.size()) {
                    throw new IllegalArgumentException("--dataset-path " + dir + ": the speeches tokenize to no tokens");
                }
                if (more.length > 0) emptyInARow = 0;
                int[] joined = new int[stream.length - pos + more.length];
                System.arraycopy(stream, pos, joined, 0, stream.length - pos);
                System.arraycopy(more, 0, joined, stream.length - pos, more.length);
                stream = joined;
                pos = 0;
            }
            int[] ids = new int[in];
            int k = 0;
            if (bos >= 0) ids[k++] = bos;
            System.arraycopy(stream, pos, ids, k, body);
            pos += body;
            out.add(new BenchRequest(ids, outLen));
        }
        return out;
    }

    private static List<Path> speeches(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--dataset-path " + dir + " is not a directory (the SOTU corpus: run ./pagoda fetch-fixtures)");
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> txt = new ArrayList<>(files.filter(p -> p.getFileName().toString().endsWith(".txt")).sorted().toList());
            if (txt.isEmpty()) throw new IllegalArgumentException("--dataset-path " + dir + " holds no .txt speeches");
            return txt;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list --dataset-path " + dir + ": " + e.getMessage());
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
    }
}
