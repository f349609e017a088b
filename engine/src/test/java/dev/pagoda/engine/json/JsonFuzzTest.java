package dev.pagoda.engine.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing of {@link Json}, the reader behind every model file and request body.
 *
 * <p>A finding is: any exception other than {@link JsonException} (an index error, a
 * {@code NumberFormatException}, a {@code StackOverflowError} from deep nesting), or a value that
 * does not survive {@code write} then {@code parse} unchanged. Hangs and out-of-memory are findings
 * too (Jazzer reports them). Without {@code JAZZER_FUZZ} this replays the seeds under
 * {@code JsonFuzzTestInputs/} as a plain test; see docs/reliability-fuzz.md.
 */
class JsonFuzzTest {
    @FuzzTest(maxDuration = "15s")
    void parseThenWriteRoundTrips(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        Object value;
        try {
            value = Json.parse(text, input.length % 2 == 0);
        } catch (JsonException expected) {
            return;
        }
        String written = Json.write(value);
        assertEquals(value, Json.parse(written), () -> "write/parse round trip of " + written);
    }
}
