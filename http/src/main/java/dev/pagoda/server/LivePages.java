package dev.pagoda.server;

import io.javalin.config.JavalinConfig;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * The live view ({@code GET /}) and the chat page ({@code GET /chat}): static HTML, CSS and JS from
 * the jar's resources ({@code dev/pagoda/server/live/}), with no build step and nothing fetched from
 * elsewhere, so they work on a machine without internet. The pages themselves are open (they hold
 * no data); what they fetch ({@code /live/events}, {@code /v1/chat/completions}) needs the API key
 * when one is set, which the pages take in a field and send as a bearer token.
 */
final class LivePages {
    private LivePages() {}

    /** Page path → resource file and content type. */
    static final Map<String, String[]> PAGES = Map.of(
            "/", new String[] {"live.html", "text/html; charset=utf-8"},
            "/chat", new String[] {"chat.html", "text/html; charset=utf-8"},
            "/live/live.css", new String[] {"live.css", "text/css; charset=utf-8"},
            "/live/live.js", new String[] {"live.js", "text/javascript; charset=utf-8"},
            "/live/chat.js", new String[] {"chat.js", "text/javascript; charset=utf-8"});

    private static final List<String> OPEN_PATHS = List.copyOf(PAGES.keySet());

    /** The paths that need no API key: the static files only. */
    static List<String> openPaths() {
        return OPEN_PATHS;
    }

    static void register(JavalinConfig c, LiveEvents events) {
        PAGES.forEach((path, file) -> c.routes.get(path, ctx -> {
            try (InputStream in = LivePages.class.getResourceAsStream("live/" + file[0])) {
                if (in == null) throw new IOException("missing resource live/" + file[0]);
                ctx.contentType(file[1]).header("Cache-Control", "no-cache").result(in.readAllBytes());
            }
        }));
        c.routes.get("/live/events", events::handle);
    }
}
