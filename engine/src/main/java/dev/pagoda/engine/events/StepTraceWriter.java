package dev.pagoda.engine.events;

import dev.pagoda.engine.json.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code --trace-file FILE}: records every engine step as one JSON line, after a header line naming
 * the model and the engine configuration ({@link TraceHeader}). Each step record is
 * {@link EngineEventJson#toJson} without the per-block list (the block tables are kept): the
 * inputs that reached the engine, the decisions with their reasons, the counters. Lines are flushed
 * as they are written, so a trace of a server that is killed is complete up to its last step.
 */
public final class StepTraceWriter implements EngineStepListener, AutoCloseable {
    private final Path file;
    private final BufferedWriter out;

    private StepTraceWriter(Path file, BufferedWriter out) {
        this.file = file;
        this.out = out;
    }

    /** Creates (or truncates) {@code file} and writes the header. */
    public static StepTraceWriter open(Path file, TraceHeader header) {
        try {
            BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
            StepTraceWriter w = new StepTraceWriter(file, out);
            w.writeLine(header.toJson());
            return w;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the trace file " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void onStep(EngineStepEvent event) {
        if (event.snapshot()) return; // a trace records steps, not pictures
        writeLine(EngineEventJson.toJson(event, false));
    }

    private void writeLine(Map<String, Object> json) {
        try {
            out.write(Json.write(json));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the trace file " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the trace file " + file + ": " + e.getMessage(), e);
        }
    }
}
