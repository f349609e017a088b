package dev.pagoda.engine.model;

import static dev.pagoda.engine.model.ModelConfigParserTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagoda.engine.json.Json;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sharded checkpoints: {@code model.safetensors.index.json} and its shard files. */
class SafetensorsCheckpointTest {
    @TempDir Path tmp;
    ModelConfig config = TinyConfigs.llama(DType.BF16);
    Path single;
    Path sharded;

    /** Writes the tiny Llama once as one file, then re-splits its tensors into two shards with an index. */
    @BeforeEach
    void writeModels() throws IOException {
        single = RandomModelWriter.write(tmp.resolve("single"), config);
        sharded = Files.createDirectories(tmp.resolve("sharded"));
        Files.copy(single.resolve("config.json"), sharded.resolve("config.json"));
        try (Arena arena = Arena.ofConfined()) {
            List<Tensor> all = List.copyOf(SafetensorsFile.open(single.resolve("model.safetensors"), arena).tensors().values());
            int half = all.size() / 2;
            SafetensorsWriter.write(sharded.resolve("model-00001-of-00002.safetensors"), Map.of("format", "pt"), all.subList(0, half));
            SafetensorsWriter.write(sharded.resolve("model-00002-of-00002.safetensors"), Map.of("format", "pt"), all.subList(half, all.size()));
            Map<String, Object> weightMap = new LinkedHashMap<>();
            for (int i = 0; i < all.size(); i++) {
                weightMap.put(all.get(i).name(), i < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
            }
            writeIndex(weightMap);
        }
    }

    void writeIndex(Map<String, Object> weightMap) throws IOException {
        Files.writeString(sharded.resolve(SafetensorsCheckpoint.INDEX_FILE),
                Json.write(Map.of("metadata", Map.of("total_size", 1), "weight_map", weightMap)));
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> readWeightMap() throws IOException {
        return new LinkedHashMap<>((Map<String, Object>) Json.parseObject(
                Files.readString(sharded.resolve(SafetensorsCheckpoint.INDEX_FILE))).get("weight_map"));
    }

    @Test
    void shardedLoadsLikeSingle() {
        try (LoadedModel a = ModelLoader.load(single); LoadedModel b = ModelLoader.load(sharded)) {
            assertEquals(a.config(), b.config());
            assertEquals(a.weightBytes(), b.weightBytes());
            ModelLoaderTest.assertWeightsAreTheRandomValues(config, b.weights(), RandomWeights.DEFAULT);
        }
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(2, SafetensorsCheckpoint.open(sharded, arena).files().size());
        }
    }

    @Test
    void missingShardFile() throws IOException {
        Path shard = sharded.resolve("model-00002-of-00002.safetensors");
        Files.delete(shard);
        var e = assertThrows(ModelLoadException.class, () -> ModelLoader.load(sharded));
        assertMessage(e, sharded.resolve(SafetensorsCheckpoint.INDEX_FILE).toString(), "model-00002-of-00002.safetensors", "does not exist");
    }

    @Test
    void tensorListedInTheIndexButMissingInItsShard() throws IOException {
        Map<String, Object> map = readWeightMap();
        map.put("model.norm.weight", "model-00001-of-00002.safetensors"); // really in shard 2
        writeIndex(map);
        var e = assertThrows(ModelLoadException.class, () -> ModelLoader.load(sharded));
        assertMessage(e, SafetensorsCheckpoint.INDEX_FILE, "tensor model.norm.weight", "model-00001-of-00002.safetensors", "no such tensor");
    }

    @Test
    void tensorInTwoShards() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Tensor norm = SafetensorsFile.open(single.resolve("model.safetensors"), arena).tensor("model.norm.weight").orElseThrow();
            SafetensorsWriter.write(sharded.resolve("extra.safetensors"), Map.of(), List.of(norm));
        }
        Map<String, Object> map = readWeightMap();
        map.put("x", "extra.safetensors");
        writeIndex(map);
        var e = assertThrows(ModelLoadException.class, () -> ModelLoader.load(sharded));
        assertMessage(e, "extra.safetensors", "tensor model.norm.weight", "is also in");
    }

    @Test
    void shardOutsideTheDirectory() throws IOException {
        Map<String, Object> map = readWeightMap();
        map.put("model.norm.weight", "../single/model.safetensors");
        writeIndex(map);
        var e = assertThrows(ModelLoadException.class, () -> ModelLoader.load(sharded));
        assertMessage(e, "model.norm.weight", "../single/model.safetensors", "outside the model directory");
    }

    @Test
    void badIndex() throws IOException {
        Path index = sharded.resolve(SafetensorsCheckpoint.INDEX_FILE);
        Files.writeString(index, "{\"weight_map\": [1]}");
        assertMessage(assertThrows(ModelLoadException.class, () -> ModelLoader.load(sharded)), index.toString(), "weight_map");
        Files.writeString(index, "{\"weight_map\": {\"a\": 3}}");
        assertMessage(assertThrows(ModelLoadException.class, () -> ModelLoader.load(sharded)), index.toString(), "weight_map.a", "3");
        Files.writeString(index, "{\"weight_map\": ");
        assertMessage(assertThrows(ModelLoadException.class, () -> ModelLoader.load(sharded)), index.toString(), "not valid JSON");
    }

    @Test
    void noWeightsAtAll() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        Files.copy(single.resolve("config.json"), dir.resolve("config.json"));
        Files.writeString(dir.resolve("pytorch_model.bin"), "");
        assertMessage(assertThrows(ModelLoadException.class, () -> ModelLoader.load(dir)), dir.toString(),
                "no model.safetensors", "PyTorch .bin");
    }
}
