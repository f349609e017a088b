package dev.pagoda.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Coverage-guided fuzzing of safetensors files: the input bytes are written as a file and opened
 * with {@link SafetensorsFile#open}, which reads the 8-byte header length, the JSON header
 * ({@link SafetensorsHeader}) and slices the tensors out of the mapping.
 *
 * <p>A finding is: any exception other than {@link ModelLoadException}, a {@code ModelLoadException}
 * whose message does not name the file, or a file that opens although its tensors do not tile the
 * data section exactly with {@code shape × dtype} bytes each. Hangs and out-of-memory errors are
 * findings too. Seeds: {@code SafetensorsFuzzTestInputs/}; see docs/reliability-fuzz.md.
 */
class SafetensorsFuzzTest {
    private static final Path FILE = tempFile();

    private static Path tempFile() {
        try {
            Path dir = Files.createTempDirectory("pagoda-fuzz-safetensors");
            dir.toFile().deleteOnExit();
            Path f = dir.resolve("model.safetensors");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "15s")
    @DictionaryEntries({"\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"F32\"", "\"BF16\"", "\"F16\"", "\"__metadata__\"",
            "\"format\":\"pt\"", "[0,", "18446744073709551615", "9223372036854775807"})
    void openFile(byte[] input) throws IOException {
        Files.write(FILE, input);
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile file;
            try {
                file = SafetensorsFile.open(FILE, arena);
            } catch (ModelLoadException expected) {
                assertTrue(expected.getMessage().startsWith(FILE.toString()), () -> "message names the file: " + expected.getMessage());
                return;
            }
            long dataStart = 8 + (input[0] & 0xFFL | (input[1] & 0xFFL) << 8 | (input[2] & 0xFFL) << 16 | (input[3] & 0xFFL) << 24
                    | (input[4] & 0xFFL) << 32 | (input[5] & 0xFFL) << 40 | (input[6] & 0xFFL) << 48 | (input[7] & 0xFFL) << 56);
            long dataBytes = 0;
            Set<String> names = new HashSet<>();
            for (Tensor t : file.tensors().values()) {
                assertTrue(names.add(t.name()), "one tensor per name");
                assertEquals(Tensor.numElements(t.shape()) * t.dtype().byteSize, t.data().byteSize(), t.name());
                dataBytes += t.data().byteSize();
            }
            assertEquals(input.length - dataStart, dataBytes, "the tensors cover the data section exactly");
        }
    }
}
