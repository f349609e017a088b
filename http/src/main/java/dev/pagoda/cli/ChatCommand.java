package dev.pagoda.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
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
import picocli.CommandLine.Parameters;

/**
 * {@code ./pagoda chat [MODEL | --url URL]}: a conversation in the terminal. Each line read is a
 * user message; the reply streams as it is generated and joins the history, which goes whole to the
 * model each turn. Lines starting with {@code /} are commands: {@code /reset} forgets the history,
 * {@code /system TEXT} sets the system prompt (and resets), {@code /history} shows it, {@code /exit}
 * (or end of input) quits. In-process it loads MODEL into the engine; with {@code --url} it talks to
 * a running OpenAI-compatible server.
 */
@CommandLine.Command(name = "chat",
        description = "chat in the terminal, with a model in-process (default: the bundled stories260K) or a server (--url)",
        footer = {"", "The engine flags (--block-size, --kv-cache-memory, --seed, …) apply in-process; with --url the server has its own."})
final class ChatCommand implements Command {
    static final String HELP = "/reset clears the history, /system TEXT sets the system prompt, /history shows it, /exit quits";

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "a model directory to run in this process")
    Path modelPositional;

    @Option(names = "--url", paramLabel = "URL", description = "an OpenAI-compatible server, e.g. http://localhost:8000/v1")
    String url;

    @Option(names = "--served-model-name", paramLabel = "NAME", description = "--url: the model to ask for (default: the server's first)")
    String servedModelName;

    @Option(names = "--api-key", paramLabel = "KEY", description = "--url: bearer token (default: $PAGODA_API_KEY, else none)")
    String apiKey;

    @Option(names = "--system", paramLabel = "TEXT", description = "the system prompt (default: none)")
    String system;

    @Option(names = "--max-tokens", paramLabel = "N", description = "tokens per reply at most (default: ${DEFAULT-VALUE})")
    int maxTokens = 256;

    @Option(names = "--temperature", paramLabel = "T", description = "sampling temperature (default: the model's generation_config)")
    Double temperature;

    @Option(names = "--device", paramLabel = "DEVICE", description = "in-process: cpu or cuda (default: ${DEFAULT-VALUE})")
    String device = "cpu";

    @Option(names = "--threads", paramLabel = "N", description = "in-process: backend threads; 0: one per core (default: ${DEFAULT-VALUE})")
    int threads;

    @Mixin
    EngineOptions engine;

    @Override
    public int run(InputStream in, PrintStream out, PrintStream err) throws IOException {
        if (url != null && modelPositional != null) throw new CliException("give MODEL (in-process) or --url (a server), not both");
        if (maxTokens < 1) throw new CliException("--max-tokens must be at least 1");
        Map<String, Object> sampling = new LinkedHashMap<>();
        sampling.put("max_tokens", (long) maxTokens);
        if (temperature != null) sampling.put("temperature", temperature);
        try (ChatClient client = client(sampling)) {
            converse(client, new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), out);
        }
        return 0;
    }

    private ChatClient client(Map<String, Object> sampling) throws IOException {
        if (url != null) {
            String key = apiKey != null ? apiKey : System.getenv("PAGODA_API_KEY");
            return new HttpChatClient(url, servedModelName, key, sampling);
        }
        if (servedModelName != null) throw new CliException("--served-model-name is for --url");
        Path dir = modelPositional != null ? modelPositional : DefaultModel.path();
        if (!Files.isDirectory(dir)) throw new CliException("MODEL " + dir + " is not a directory");
        return new InProcessChatClient(dir, device, threads, engine.toEngineConfig(0), sampling);
    }

    /** The read–reply loop; the history lives here. */
    private void converse(ChatClient client, BufferedReader in, PrintStream out) throws IOException {
        out.println("pagoda chat: " + client.describe());
        out.println(HELP);
        List<Map<String, Object>> history = new ArrayList<>();
        String systemPrompt = system;
        while (true) {
            out.print("> ");
            out.flush();
            String line = in.readLine();
            if (line == null) { // end of input
                out.println();
                return;
            }
            String text = line.strip();
            if (text.isEmpty()) continue;
            if (text.startsWith("/")) {
                String cmd = text.split("\\s+", 2)[0], arg = text.length() > cmd.length() ? text.substring(cmd.length()).strip() : "";
                switch (cmd) {
                    case "/exit", "/quit" -> { return; }
                    case "/reset" -> {
                        history.clear();
                        out.println("(history cleared)");
                    }
                    case "/system" -> {
                        systemPrompt = arg.isEmpty() ? null : arg;
                        history.clear();
                        out.println(systemPrompt == null ? "(system prompt removed; history cleared)" : "(system prompt set; history cleared)");
                    }
                    case "/history" -> {
                        if (systemPrompt == null && history.isEmpty()) out.println("(no history)");
                        for (Map<String, Object> m : withSystem(systemPrompt, history)) out.println(m.get("role") + ": " + m.get("content"));
                    }
                    default -> out.println("(unknown command " + cmd + "; " + HELP + ")");
                }
                continue;
            }
            history.add(message("user", text));
            try {
                String reply = client.reply(withSystem(systemPrompt, history), delta -> {
                    out.print(delta);
                    out.flush();
                });
                out.println();
                history.add(message("assistant", reply));
            } catch (ChatClient.ChatException e) {
                history.removeLast(); // the turn did not happen
                out.println("(error: " + e.getMessage() + ")");
            }
        }
    }

    private static List<Map<String, Object>> withSystem(String systemPrompt, List<Map<String, Object>> history) {
        List<Map<String, Object>> all = new ArrayList<>();
        if (systemPrompt != null) all.add(message("system", systemPrompt));
        all.addAll(history);
        return all;
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
