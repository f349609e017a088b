package dev.pagoda.cli;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.engine.CompletionOutput;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.engine.RequestOutput;
import dev.pagoda.engine.events.StepTraceWriter;
import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.json.JsonException;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.SamplingParamsException;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./pagoda generate}: completes prompts with the engine (continuous batching, paged KV cache).
 *
 * <ul>
 *   <li>{@code --prompt TEXT}: one prompt; the text is printed as it is generated.</li>
 *   <li>{@code --prompts-file FILE.jsonl}: one JSON object per line, {@code {"prompt": …}} plus any
 *       sampling field ({@code max_tokens}, {@code temperature}, {@code seed}, {@code n}, {@code stop}, …);
 *       all lines run together and one JSON object per line is printed, in input order, with
 *       {@code text}, {@code token_ids} (generated only) and {@code finish_reason} (lists when n > 1).</li>
 * </ul>
 * {@code --max-tokens} and {@code --temperature} are the defaults for lines that do not set them; the engine
 * flags ({@link EngineOptions}) are vLLM's.
 */
@CommandLine.Command(name = "generate",
        description = "complete a prompt (--prompt) or a JSONL file of prompts (--prompts-file) with a model (default: the bundled stories260K)")
final class GenerateCommand implements Command {
    @Option(names = "--prompt", paramLabel = "TEXT", description = "one prompt; its completion is printed as it is generated")
    String prompt;

    @Option(names = "--prompts-file", paramLabel = "FILE.jsonl",
            description = "one JSON object per line: {\"prompt\": ...} plus any sampling field; one JSON result per line")
    Path promptsFile;

    @Option(names = "--model", paramLabel = "DIR", description = "a model directory (default: the bundled stories260K)")
    Path model;

    @Option(names = "--max-tokens", paramLabel = "N", description = "tokens to generate at most (default: ${DEFAULT-VALUE})")
    int maxTokens = 256;

    @Option(names = "--temperature", paramLabel = "T", description = "sampling temperature; 0 is greedy (default: ${DEFAULT-VALUE})")
    double temperature = 0.0;

    @Option(names = "--load-format", paramLabel = "FORMAT", description = "auto, safetensors or dummy (random weights) (default: ${DEFAULT-VALUE})")
    String loadFormat = "safetensors";

    @Option(names = "--backend", paramLabel = "NAME", description = "the compute backend (default: ${DEFAULT-VALUE})")
    String backend = "cpu";

    @Option(names = "--threads", paramLabel = "N", description = "backend threads; 0: one per core (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--num-kv-blocks", paramLabel = "N", description = "KV-cache blocks; 0: as many as --kv-cache-memory holds (default: ${DEFAULT-VALUE})")
    int numKvBlocks;

    @Option(names = "--trace-file", paramLabel = "FILE", description = "record every scheduler step as a JSON line (read it with ./pagoda replay FILE)")
    Path traceFile;

    @Mixin
    EngineOptions engine;

    @Override
    public int run(InputStream in, PrintStream out, PrintStream err) {
        LoadFormat format = loadFormat(loadFormat);
        EngineConfig config = engine.toEngineConfig(numKvBlocks);
        if ((prompt == null) == (promptsFile == null)) throw new CliException("missing required option --prompt (or --prompts-file FILE.jsonl)");
        if (maxTokens < 1) throw new CliException("--max-tokens must be at least 1");
        List<Map<String, Object>> lines = promptsFile != null ? readPromptsFile(promptsFile) : null;
        Path modelDir = model != null ? model : DefaultModel.path();

        try (LoadedModel loaded = ModelLoader.load(modelDir, format);
                ComputeBackend compute = ComputeBackends.create(backend, new BackendOptions(threads))) {
            Tokenizer tokenizer = Tokenizer.fromDirectory(modelDir);
            compute.loadModel(loaded.config(), loaded.weights());
            LlmEngine llm = new LlmEngine(compute, loaded.config(), loaded.generationConfig(), tokenizer, config);
            StepTraceWriter trace = traceFile == null ? null : StepTraceWriter.open(traceFile, TraceHeaders.of(llm, modelDir, loaded.config(), backend));
            if (trace != null) llm.addStepListener(trace);
            try (trace) {
                run(llm, lines, out);
            }
        }
        return 0;
    }

    private void run(LlmEngine llm, List<Map<String, Object>> lines, PrintStream out) {
        if (prompt != null) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("max_tokens", (long) maxTokens); // the JSON reader's number types
            line.put("temperature", temperature);
            streamOne(llm, prompt, params(line, 0), out);
        } else {
            runFile(llm, lines, maxTokens, temperature, out);
        }
    }

    /** One prompt, its text printed as the engine produces it. */
    private static void streamOne(LlmEngine engine, String prompt, SamplingParams params, PrintStream out) {
        int[] ids = engine.tokenizer().encode(prompt, true);
        if (ids.length >= engine.maxModelLen()) {
            throw new CliException("the prompt has " + ids.length + " tokens; the model's context is " + engine.maxModelLen());
        }
        try {
            engine.addRequest("prompt", ids, params, 0);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        while (engine.hasUnfinishedRequests()) {
            for (RequestOutput o : engine.step().outputs()) {
                for (CompletionOutput c : o.outputs()) out.print(c.textDelta());
                out.flush();
            }
        }
        out.println();
    }

    /** Every line at once through the engine; results printed in input order. */
    private static void runFile(LlmEngine engine, List<Map<String, Object>> lines, int maxTokens, double temperature, PrintStream out) {
        List<int[]> prompts = new ArrayList<>();
        List<SamplingParams> params = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Map<String, Object> line = new LinkedHashMap<>(lines.get(i));
            if (!(line.remove("prompt") instanceof String text)) throw new CliException("line " + (i + 1) + ": \"prompt\" must be a string");
            line.putIfAbsent("max_tokens", (long) maxTokens);
            line.putIfAbsent("temperature", temperature);
            for (String key : line.keySet()) {
                if (!SamplingParams.FIELD_NAMES.contains(key)) throw new CliException("line " + (i + 1) + ": unknown field \"" + key + "\"");
            }
            prompts.add(engine.tokenizer().encode(text, true));
            params.add(params(line, i + 1));
        }
        List<RequestOutput> outputs;
        try {
            outputs = engine.generate(prompts, params);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        for (RequestOutput o : outputs) out.println(Json.write(toJson(o)));
        out.flush();
    }

    /** {@code {"text", "token_ids", "finish_reason"}}; each a list of n entries when the request had n > 1. */
    static Map<String, Object> toJson(RequestOutput o) {
        List<Object> texts = new ArrayList<>(), ids = new ArrayList<>(), reasons = new ArrayList<>();
        for (CompletionOutput c : o.outputs()) {
            texts.add(c.text());
            List<Object> t = new ArrayList<>();
            for (int id : c.tokenIds()) t.add(id);
            ids.add(t);
            reasons.add(c.finishReason().wireName());
        }
        Map<String, Object> m = new LinkedHashMap<>();
        boolean single = o.outputs().size() == 1;
        m.put("text", single ? texts.getFirst() : texts);
        m.put("token_ids", single ? ids.getFirst() : ids);
        m.put("finish_reason", single ? reasons.getFirst() : reasons);
        return m;
    }

    private static SamplingParams params(Map<String, Object> fields, int lineNo) {
        try {
            return SamplingParams.fromJson(fields);
        } catch (SamplingParamsException e) {
            throw new CliException((lineNo > 0 ? "line " + lineNo + ": " : "") + e.getMessage());
        }
    }

    private static List<Map<String, Object>> readPromptsFile(Path file) {
        List<String> raw;
        try {
            raw = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException("cannot read --prompts-file " + file + ": " + e.getMessage());
        }
        List<Map<String, Object>> lines = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            if (raw.get(i).isBlank()) continue;
            try {
                lines.add(Json.parseObject(raw.get(i)));
            } catch (JsonException e) {
                throw new CliException(file + " line " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (lines.isEmpty()) throw new CliException(file + " has no prompts");
        return lines;
    }

    private static LoadFormat loadFormat(String value) {
        try {
            return LoadFormat.fromCli(value);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }
}
