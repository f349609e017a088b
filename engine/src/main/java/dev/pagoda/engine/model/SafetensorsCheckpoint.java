package dev.pagoda.engine.model;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.json.JsonException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors weights of a model directory: either one {@code model.safetensors}, or shards
 * listed by {@code model.safetensors.index.json} ({@code "weight_map": {tensor name: shard file}}).
 * Like transformers, a single {@code model.safetensors} wins when both exist.
 *
 * <p>Every shard the index names is mapped and validated; a tensor the index places in a shard
 * that does not hold it, a tensor found in two shards, or a shard outside the directory is an
 * error naming the index, the shard and the tensor. Tensors a shard holds beyond the index are
 * kept, as vLLM loads whole shard files.
 */
public final class SafetensorsCheckpoint {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final List<SafetensorsFile> files;
    /** Name → tensor over all files. */
    private final Map<String, Tensor> tensors;
    /** Name → the file that holds it, for messages. */
    private final Map<String, Path> fileOf;

    private SafetensorsCheckpoint(List<SafetensorsFile> files, Map<String, Tensor> tensors, Map<String, Path> fileOf) {
        this.files = List.copyOf(files);
        this.tensors = Collections.unmodifiableMap(tensors);
        this.fileOf = Collections.unmodifiableMap(fileOf);
    }

    /** Opens the weights of {@code modelDir}, mapping them into {@code arena}. */
    public static SafetensorsCheckpoint open(Path modelDir, Arena arena) {
        Path single = modelDir.resolve(SINGLE_FILE);
        Path index = modelDir.resolve(INDEX_FILE);
        if (Files.exists(single)) return of(List.of(SafetensorsFile.open(single, arena)));
        if (Files.exists(index)) return openSharded(index, arena);
        String hint = Files.exists(modelDir.resolve("pytorch_model.bin")) || Files.exists(modelDir.resolve("pytorch_model.bin.index.json"))
                ? " (only PyTorch .bin weights were found; convert them to safetensors)"
                : "";
        throw new ModelLoadException(modelDir + ": no " + SINGLE_FILE + " and no " + INDEX_FILE + hint);
    }

    /** A checkpoint made of already opened files; a tensor name in two files is an error. */
    public static SafetensorsCheckpoint of(List<SafetensorsFile> files) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, Path> fileOf = new LinkedHashMap<>();
        for (SafetensorsFile f : files) {
            for (Tensor t : f.tensors().values()) {
                Path other = fileOf.putIfAbsent(t.name(), f.path());
                if (other != null) {
                    throw new ModelLoadException(f.path() + ": tensor " + t.name() + " is also in " + other + "; each tensor must be in one file");
                }
                tensors.put(t.name(), t);
            }
        }
        return new SafetensorsCheckpoint(files, tensors, fileOf);
    }

    private static SafetensorsCheckpoint openSharded(Path index, Arena arena) {
        Map<String, String> weightMap = readWeightMap(index);
        Path dir = index.toAbsolutePath().getParent();
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            String shardName = e.getValue();
            if (shards.containsKey(shardName)) continue;
            Path shard = dir.resolve(shardName).normalize();
            if (Path.of(shardName).isAbsolute() || !shard.startsWith(dir)) {
                throw new ModelLoadException(index + ": weight_map puts tensor " + e.getKey() + " in \"" + shardName
                        + "\", which is outside the model directory");
            }
            if (!Files.isRegularFile(shard)) {
                throw new ModelLoadException(index + ": weight_map puts tensor " + e.getKey() + " in shard " + shardName
                        + ", but " + shard + " does not exist");
            }
            shards.put(shardName, SafetensorsFile.open(shard, arena));
        }
        SafetensorsCheckpoint checkpoint = of(new ArrayList<>(shards.values()));
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            SafetensorsFile shard = shards.get(e.getValue());
            if (shard.tensor(e.getKey()).isEmpty()) {
                throw new ModelLoadException(index + ": weight_map puts tensor " + e.getKey() + " in " + shard.path()
                        + ", but that file has no such tensor");
            }
        }
        return checkpoint;
    }

    private static Map<String, String> readWeightMap(Path index) {
        Map<String, Object> root;
        try {
            root = Json.parseObject(Files.readString(index), true);
        } catch (JsonException e) {
            throw new ModelLoadException(index + ": not valid JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ModelLoadException(index + ": cannot read: " + e, e);
        }
        if (!(root.get("weight_map") instanceof Map<?, ?> map)) {
            throw new ModelLoadException(index + ": field weight_map must be an object of tensor name to file name, got "
                    + JsonFields.show(root.get("weight_map")));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String file) || file.isEmpty()) {
                throw new ModelLoadException(index + ": weight_map." + e.getKey() + " must be a file name, got " + JsonFields.show(e.getValue()));
            }
            out.put((String) e.getKey(), file);
        }
        if (out.isEmpty()) throw new ModelLoadException(index + ": weight_map is empty");
        return out;
    }

    public List<SafetensorsFile> files() {
        return files;
    }

    /** Every tensor of every file, by name. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The file that holds {@code tensor}. */
    public Path fileOf(String tensor) {
        return fileOf.get(tensor);
    }
}
