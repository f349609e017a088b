package dev.pagoda.conformance;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Reference logits from Hugging Face transformers (fp32, CPU), written by
 * {@code scripts/goldens/make_logit_goldens.py}: a model, a prompt, and the logits after every
 * prompt token.
 *
 * @param name     e.g. {@code qwen3-qknorm-hd32-bf16}
 * @param modelDir the Hugging Face model directory the goldens were computed from
 * @param tokenIds {@code [numPositions]} the prompt
 * @param logits   {@code [numPositions][vocabSize]} row {@code p}: HF's logits after token {@code p}
 * @param versions torch/transformers versions that made them (for messages)
 */
record LogitGolden(String name, Path modelDir, int[] tokenIds, float[][] logits, String versions) {

    static final String RESOURCES = "conformance/src/test/resources/";

    int numPositions() {
        return tokenIds.length;
    }

    int vocabSize() {
        return logits[0].length;
    }

    /** Every golden listed in {@code logit-goldens.json}. */
    static List<LogitGolden> all() {
        Map<String, Object> index = Json.parseObject(read(Fixtures.repo(RESOURCES + "logit-goldens.json")));
        List<LogitGolden> goldens = new ArrayList<>();
        for (Object entry : (List<?>) index.get("goldens")) {
            goldens.add(load(Fixtures.repo(RESOURCES + ((Map<?, ?>) entry).get("golden"))));
        }
        return goldens;
    }

    /** Reads {@code golden.json} and the {@code [numPositions, vocabSize]} little-endian fp32 file it names. */
    static LogitGolden load(Path dir) {
        Path jsonFile = dir.resolve("golden.json");
        Map<String, Object> g = Json.parseObject(read(jsonFile));
        String name = (String) g.get("name");
        List<?> ids = (List<?>) g.get("tokenIds");
        int numPositions = ((Number) g.get("numPositions")).intValue();
        int vocabSize = ((Number) g.get("vocabSize")).intValue();
        if (ids.size() != numPositions) {
            throw new IllegalStateException(jsonFile + ": tokenIds has " + ids.size() + " entries, numPositions is " + numPositions);
        }
        int[] tokenIds = new int[numPositions];
        for (int i = 0; i < numPositions; i++) tokenIds[i] = ((Number) ids.get(i)).intValue();

        Path logitsFile = dir.resolve((String) g.get("logitsFile"));
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(logitsFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (bytes.length != (long) numPositions * vocabSize * Float.BYTES) {
            throw new IllegalStateException(logitsFile + ": " + bytes.length + " bytes, expected "
                    + numPositions + " x " + vocabSize + " fp32");
        }
        String sha256 = sha256(bytes);
        if (!sha256.equals(g.get("logitsSha256"))) {
            throw new IllegalStateException(logitsFile + ": sha256 " + sha256 + " does not match golden.json's " + g.get("logitsSha256"));
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        float[][] logits = new float[numPositions][vocabSize];
        for (int p = 0; p < numPositions; p++) {
            buf.position(p * vocabSize * Float.BYTES);
            buf.asFloatBuffer().get(logits[p]);
        }
        Map<?, ?> gen = (Map<?, ?>) g.get("generator");
        String versions = "transformers " + gen.get("transformers") + ", torch " + gen.get("torch");
        return new LogitGolden(name, Fixtures.repo((String) g.get("modelDir")), tokenIds, logits, versions);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
