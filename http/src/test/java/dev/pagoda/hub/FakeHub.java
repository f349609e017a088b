package dev.pagoda.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pagoda.engine.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Hugging Face hub on loopback serving one model directory as {@code REPO} at commit
 * {@link #COMMIT}: the model-info API ({@code ?blobs=true}) and {@code resolve/} downloads with
 * Range support. It can require a token and can corrupt the safetensors bytes.
 */
final class FakeHub implements AutoCloseable {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    private final HttpServer server;
    private final String repo;
    private final Path dir;
    final List<String> downloads = new CopyOnWriteArrayList<>(); // "file range" per resolve request
    volatile String requiredToken;
    volatile boolean corrupt;

    FakeHub(String repo, Path dir) throws IOException {
        this.repo = repo;
        this.dir = dir;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (requiredToken != null && !("Bearer " + requiredToken).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                send(ex, 401, "{\"error\": \"Invalid credentials\"}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            String path = ex.getRequestURI().getPath();
            if (path.equals("/api/models/" + repo + "/revision/main")) {
                send(ex, 200, Json.write(info()).getBytes(StandardCharsets.UTF_8));
            } else if (path.startsWith("/" + repo + "/resolve/" + COMMIT + "/")) {
                Path file = dir.resolve(path.substring(("/" + repo + "/resolve/" + COMMIT + "/").length()));
                if (!Files.isRegularFile(file)) {
                    send(ex, 404, new byte[0]);
                    return;
                }
                byte[] bytes = Files.readAllBytes(file);
                if (corrupt && file.toString().endsWith(".safetensors")) bytes[bytes.length / 2] ^= 1;
                String range = ex.getRequestHeaders().getFirst("Range");
                downloads.add(file.getFileName() + " " + range);
                if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
                    int from = Integer.parseInt(range.substring(6, range.length() - 1));
                    byte[] rest = java.util.Arrays.copyOfRange(bytes, from, bytes.length);
                    ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/" + bytes.length);
                    send(ex, 206, rest);
                } else {
                    send(ex, 200, bytes);
                }
            } else {
                send(ex, 404, "{\"error\": \"Repository not found\"}".getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private Map<String, Object> info() throws IOException {
        List<Object> siblings = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                byte[] bytes = Files.readAllBytes(f);
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("rfilename", f.getFileName().toString());
                s.put("size", (long) bytes.length);
                s.put("blobId", gitBlobSha1(bytes));
                if (f.toString().endsWith(".safetensors")) {
                    s.put("lfs", Map.of("sha256", sha256(bytes), "size", (long) bytes.length, "pointerSize", 134L));
                }
                siblings.add(s);
            }
        }
        siblings.add(Map.of("rfilename", "original/consolidated.pth", "size", 5L, "blobId", "x")); // not wanted: never fetched
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", repo);
        m.put("sha", COMMIT);
        m.put("siblings", siblings);
        return m;
    }

    static String sha256(byte[] bytes) {
        return hex("SHA-256", new byte[0], bytes);
    }

    static String gitBlobSha1(byte[] bytes) {
        return hex("SHA-1", ("blob " + bytes.length + "\0").getBytes(StandardCharsets.US_ASCII), bytes);
    }

    private static String hex(String algorithm, byte[] header, byte[] bytes) {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            md.update(header);
            return HexFormat.of().formatHex(md.digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
