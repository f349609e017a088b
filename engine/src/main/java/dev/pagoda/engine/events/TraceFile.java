package dev.pagoda.engine.events;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.json.JsonException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A trace file read back: the header, then one {@link Step} per line. Every problem is reported
 * with the file, the line and the field ({@code trace.jsonl line 7: decisions[0].kind: ...}).
 */
public record TraceFile(Path file, TraceHeader header, List<Step> steps) {

    /**
     * One step record.
     *
     * @param line      its line in the file
     * @param step      the engine's step number
     * @param inputs    what reached the engine before it
     * @param decisions what the scheduler decided
     * @param blockTables {@code request_id#index → [block ids]} after the step, for the unfinished sequences
     * @param record    the whole JSON record
     */
    public record Step(int line, long step, List<EngineInput> inputs, List<SchedulerDecision> decisions,
                       Map<String, List<Integer>> blockTables, Map<String, Object> record) {}

    public static TraceFile read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the trace " + file + ": " + e.getMessage(), e);
        }
        if (lines.isEmpty()) throw new IllegalArgumentException(file + " is empty: not a Pagoda trace");
        TraceHeader header = TraceHeader.fromJson(parse(file, lines, 0), file + " line 1");
        List<Step> steps = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            String where = file + " line " + (i + 1);
            Map<String, Object> m = parse(file, lines, i);
            try {
                if (!(m.get("step") instanceof Number n)) throw new IllegalArgumentException("step: expected a number, got " + m.get("step"));
                steps.add(new Step(i + 1, n.longValue(), EngineEventJson.inputs(m), EngineEventJson.decisions(m), EngineEventJson.blockTables(m), m));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        return new TraceFile(file, header, steps);
    }

    private static Map<String, Object> parse(Path file, List<String> lines, int i) {
        try {
            return Json.parseObject(lines.get(i));
        } catch (JsonException e) {
            throw new IllegalArgumentException(file + " line " + (i + 1) + ": not a JSON object (" + e.getMessage() + ")", e);
        }
    }
}
