package dev.pagoda.engine.model;

import static dev.pagoda.engine.model.ModelConfigParserTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationConfigTest {
    @TempDir Path tmp;

    Path write(String json) throws IOException {
        Path f = tmp.resolve(GenerationConfig.FILE_NAME);
        Files.writeString(f, json);
        return f;
    }

    @Test
    void stories260k() {
        GenerationConfig g = GenerationConfig.parse(Fixtures.stories260k().resolve(GenerationConfig.FILE_NAME));
        assertEquals(1, g.bosTokenId());
        assertEquals(List.of(2), g.eosTokenIds());
        assertEquals(Optional.of(false), g.doSample());
        assertEquals(Map.of(), g.samplingDefaults(), "no sampling value set: the engine's defaults stay");
    }

    @Test
    void llama31InstructAddsEotAsAStopToken() throws IOException {
        // Meta-Llama-3.1-8B-Instruct's generation_config.json; its config.json says eos 128001 only in the base model.
        GenerationConfig g = GenerationConfig.parse(write("""
                {"bos_token_id": 128000, "do_sample": true, "eos_token_id": [128001, 128008, 128009],
                 "temperature": 0.6, "top_p": 0.9, "transformers_version": "4.42.3"}"""));
        assertEquals(Map.of("temperature", 0.6, "top_p", 0.9), g.samplingDefaults());
        ModelConfig base = ModelConfigParser.parse(ModelConfigParserTest.fixture("llama3.2-1b.json"));
        assertEquals(List.of(128001, 128008, 128009), g.stopTokenIds(base));
    }

    @Test
    void qwen25InstructDefaults() throws IOException {
        GenerationConfig g = GenerationConfig.parse(write("""
                {"bos_token_id": 151643, "pad_token_id": 151643, "do_sample": true, "eos_token_id": [151645, 151643],
                 "repetition_penalty": 1.1, "temperature": 0.7, "top_p": 0.8, "top_k": 20, "transformers_version": "4.37.0"}"""));
        assertEquals(Map.of("repetition_penalty", 1.1, "temperature", 0.7, "top_k", 20, "top_p", 0.8), g.samplingDefaults());
        ModelConfig qwen = ModelConfigParser.parse(ModelConfigParserTest.fixture("qwen2.5-0.5b-instruct.json"));
        assertEquals(List.of(151645, 151643), g.stopTokenIds(qwen));
    }

    @Test
    void doSampleFalseDoesNotCancelTheTemperatureAsInVllm() throws IOException {
        GenerationConfig g = GenerationConfig.parse(write("{\"do_sample\": false, \"temperature\": 0.6, \"max_new_tokens\": 64}"));
        assertEquals(OptionalDouble.of(0.6), g.temperature());
        assertEquals(Map.of("temperature", 0.6, "max_tokens", 64), g.samplingDefaults());
    }

    @Test
    void missingFileFallsBackToConfigJson() {
        ModelConfig c = TinyConfigs.llama(DType.F32);
        GenerationConfig g = GenerationConfig.load(tmp, c);
        assertEquals(c.bosTokenId(), g.bosTokenId());
        assertEquals(c.eosTokenIds(), g.eosTokenIds());
        assertEquals(Map.of(), g.samplingDefaults());
    }

    @Test
    void writtenConfigParsesBack() throws IOException {
        GenerationConfig g = new GenerationConfig(5, List.of(6, 7), OptionalDouble.of(0.5), OptionalDouble.of(0.9),
                java.util.OptionalInt.of(40), OptionalDouble.empty(), OptionalDouble.of(1.2), java.util.OptionalInt.of(100), Optional.of(true));
        assertEquals(g, GenerationConfig.parse(write(g.toJson())));
    }

    @Test
    void badValuesAreNamed() throws IOException {
        Path f = write("{\"temperature\": \"hot\"}");
        assertMessage(assertThrows(ModelLoadException.class, () -> GenerationConfig.parse(f)), f.toString(), "temperature", "\"hot\"");
        Path g = write("{\"top_p\": 1.5}");
        assertMessage(assertThrows(ModelLoadException.class, () -> GenerationConfig.parse(g)), "top_p", "1.5");
        Path h = write("{\"eos_token_id\": {\"a\": 1}}");
        assertMessage(assertThrows(ModelLoadException.class, () -> GenerationConfig.parse(h)), "eos_token_id", "an object");
        Path i = write("{\"top_k\": 20,");
        assertMessage(assertThrows(ModelLoadException.class, () -> GenerationConfig.parse(i)), i.toString(), "not valid JSON");
    }
}
