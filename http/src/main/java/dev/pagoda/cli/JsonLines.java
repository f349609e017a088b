package dev.pagoda.cli;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.json.JsonException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** The loop of the line-oriented commands: one JSON value per stdin line in, one per stdout line out (UTF-8). */
final class JsonLines {
    private JsonLines() {}

    /** Turns one parsed input value into the output value; {@code lineNumber} (from 1) is for error messages. */
    interface LineFunction {
        Object apply(Object value, int lineNumber);
    }

    static void map(InputStream in, PrintStream out, LineFunction function) throws IOException {
        PrintStream utf8 = new PrintStream(out, false, StandardCharsets.UTF_8);
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        int lineNumber = 0;
        for (String line; (line = reader.readLine()) != null; ) {
            lineNumber++;
            Object value;
            try {
                value = Json.parse(line);
            } catch (JsonException e) {
                throw new CliException("stdin line " + lineNumber + ": not JSON: " + e.getMessage());
            }
            utf8.println(Json.write(function.apply(value, lineNumber)));
            utf8.flush(); // one answer per line, at once: callers may pipe line by line
        }
    }
}
