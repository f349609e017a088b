package dev.pagoda.backend.cuda;

import dev.pagoda.engine.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reference logits from Hugging Face transformers (fp32, CPU), written by
 * {@code scripts/goldens/make_logit_goldens.py} under {@code conformance/src/test/resources} and
 * listed in its {@code logit-goldens.json}: a model, a prompt, and the logits after every prompt token.
 *
 * @param name     e.g. {@code stories260k}
 * @param modelDir the model directory the goldens were computed from
 * @param tokenIds {@code [numPositions]} the prompt
 * @param logits   {@code [numPositions][vocabSize]} row {@code p}: HF's logits after token {@code p}
 * @param versions the transformers/torch versions that made them
 */
public record HfGolden(String name, Path modelDir, int[] tokenIds, float[][] logits, String versions) {
    /** Where the goldens live, relative to the repository root. */
    public static final String RESOURCES = "conformance/src/test/resources/";

    /** Every golden listed in {@code logit-goldens.json} under {@code repoRoot}. */
    public static List<HfGolden> all(Path repoRoot) {
        Map<String, Object> index = Json.parseObject(read(repoRoot.resolve(RESOURCES + "logit-goldens.json")));
        return ((List<?>) index.get("goldens")).stream()
                .map(e -> load(repoRoot, repoRoot.resolve(RESOURCES + ((Map<?, ?>) e).get("golden")))).toList();
    }

    /** The golden computed from {@code modelDir}, if {@code repoRoot} has one (none when the repository's resources are absent). */
    public static Optional<HfGolden> forModel(Path repoRoot, Path modelDir) {
        if (!Files.exists(repoRoot.resolve(RESOURCES + "logit-goldens.json"))) return Optional.empty();
        Path wanted = real(modelDir);
        return all(repoRoot).stream().filter(g -> real(g.modelDir()).equals(wanted)).findFirst();
    }

    /** Reads {@code dir/golden.json} and the little-endian fp32 {@code [numPositions, vocabSize]} file it names (sha256-checked). */
    public static HfGolden load(Path repoRoot, Path dir) {
        Path jsonFile = dir.resolve("golden.json");
        Map<String, Object> g = Json.parseObject(read(jsonFile));
        List<?> ids = (List<?>) g.get("tokenIds");
        int numPositions = ((Number) g.get("numPositions")).intValue();
        int vocabSize = ((Number) g.get("vocabSize")).intValue();
        if (ids.size() != numPositions) throw new IllegalStateException(jsonFile + ": tokenIds has " + ids.size() + " entries, numPositions is " + numPositions);
        int[] tokenIds = new int[numPositions];
        for (int i = 0; i < numPositions; i++) tokenIds[i] = ((Number) ids.get(i)).intValue();
        Path logitsFile = dir.resolve((String) g.get("logitsFile"));
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(logitsFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + logitsFile, e);
        }
        if (bytes.length != (long) numPositions * vocabSize * Float.BYTES) {
            throw new IllegalStateException(logitsFile + ": " + bytes.length + " bytes, expected " + numPositions + " x " + vocabSize + " fp32");
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
        return new HfGolden((String) g.get("name"), repoRoot.resolve((String) g.get("modelDir")), tokenIds, logits,
                "transformers " + gen.get("transformers") + ", torch " + gen.get("torch"));
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
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
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
