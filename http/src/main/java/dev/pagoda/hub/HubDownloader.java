package dev.pagoda.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Downloads a model repository from the Hugging Face hub into the standard cache layout, as
 * {@code huggingface_hub.snapshot_download} does, so that Python tools and Pagoda share one cache:
 *
 * <pre>
 *   HUB_CACHE/models--ORG--NAME/
 *     refs/main                     the commit main pointed to
 *     blobs/SHA256 or GIT_SHA1      file contents, named by their hash (.incomplete while downloading)
 *     snapshots/COMMIT/config.json  → ../../blobs/...   (symbolic links)
 * </pre>
 *
 * Only what the engine reads is fetched (JSON, safetensors, chat templates, vocab text files).
 * A partial {@code .incomplete} blob is resumed with an HTTP Range request. Every file is checked
 * against the size and hash the hub lists (sha256 for LFS files, the git blob sha1 for the rest)
 * before it is moved into place.
 */
public final class HubDownloader {
    private final HubConfig config;
    private final HttpClient http;
    private final PrintStream log;

    public HubDownloader(HubConfig config, PrintStream log) {
        this.config = config;
        this.log = log;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(30)).build();
    }

    /** One file of the repository as the hub lists it. @param sha256 null unless stored with LFS */
    record RepoFile(String path, long size, String blobId, String sha256) {
        String blobName() {
            return sha256 != null ? sha256 : blobId;
        }
    }

    /** The snapshot directory of {@code repoId} at {@code revision}, downloading what is missing. */
    public Path snapshot(String repoId, String revision) throws IOException, InterruptedException {
        if (!HubConfig.looksLikeRepoId(repoId)) throw new HubException("'" + repoId + "' is not a Hugging Face repository id (ORG/NAME)");
        Path repoDir = config.cacheDir().resolve("models--" + repoId.replace("/", "--"));
        if (config.offline()) return cachedSnapshot(repoDir, repoId, revision);

        Map<String, Object> info = HubJson.object(get(config.endpoint() + "/api/models/" + repoId + "/revision/" + encode(revision) + "?blobs=true",
                "repository " + repoId));
        String commit = HubJson.string(info, "sha", "the hub's answer about " + repoId);
        List<RepoFile> files = new ArrayList<>();
        for (Object o : HubJson.list(info, "siblings", repoId)) {
            Map<String, Object> s = HubJson.asObject(o, repoId + " siblings");
            String path = HubJson.string(s, "rfilename", repoId + " siblings");
            if (!wanted(path)) continue;
            Object lfs = s.get("lfs");
            String sha256 = lfs instanceof Map<?, ?> m && m.get("sha256") instanceof String h ? h : null;
            long size = s.get("size") instanceof Number n ? n.longValue() : -1;
            if (lfs instanceof Map<?, ?> m && m.get("size") instanceof Number n) size = n.longValue();
            files.add(new RepoFile(path, size, (String) s.get("blobId"), sha256));
        }
        if (files.stream().noneMatch(f -> f.path().equals("config.json"))) throw new HubException(repoId + " has no config.json: not a model repository Pagoda can load");

        Path snapshot = repoDir.resolve("snapshots").resolve(commit);
        Files.createDirectories(repoDir.resolve("blobs"));
        for (RepoFile f : files) {
            Path blob = repoDir.resolve("blobs").resolve(f.blobName());
            if (!Files.isRegularFile(blob) || (f.size() >= 0 && Files.size(blob) != f.size())) download(repoId, commit, f, blob);
            link(snapshot.resolve(f.path()), blob);
        }
        Files.createDirectories(repoDir.resolve("refs"));
        if (!revision.equals(commit)) Files.writeString(repoDir.resolve("refs").resolve(revision), commit, StandardCharsets.UTF_8);
        return snapshot;
    }

    /** HF_HUB_OFFLINE: the cached snapshot of {@code revision} (a ref like main, or a commit), or an error. */
    private static Path cachedSnapshot(Path repoDir, String repoId, String revision) throws IOException {
        String commit = revision;
        Path ref = repoDir.resolve("refs").resolve(revision);
        if (Files.isRegularFile(ref)) commit = Files.readString(ref, StandardCharsets.UTF_8).trim();
        Path snapshot = repoDir.resolve("snapshots").resolve(commit);
        if (!Files.isRegularFile(snapshot.resolve("config.json"))) {
            throw new HubException(repoId + "@" + revision + " is not in the cache at " + repoDir + " and HF_HUB_OFFLINE is set");
        }
        return snapshot;
    }

    /** The files the engine reads. */
    static boolean wanted(String path) {
        if (path.startsWith("additional_chat_templates/")) return path.endsWith(".jinja");
        if (path.contains("/")) return false; // original/ checkpoints, onnx/, ...
        return path.endsWith(".json") || path.endsWith(".safetensors") || path.endsWith(".jinja") || path.endsWith(".txt");
    }

    private void download(String repoId, String commit, RepoFile f, Path blob) throws IOException, InterruptedException {
        Path partial = blob.resolveSibling(blob.getFileName() + ".incomplete");
        long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
        if (f.size() >= 0 && have > f.size()) {
            Files.delete(partial);
            have = 0;
        }
        HttpRequest.Builder req = request(config.endpoint() + "/" + repoId + "/resolve/" + commit + "/" + encodePath(f.path()));
        if (have > 0) req.header("Range", "bytes=" + have + "-");
        HttpResponse<InputStream> r = http.send(req.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() == 200 && have > 0) have = 0; // the server ignored the range: start over
        else if (r.statusCode() != 200 && r.statusCode() != 206) {
            r.body().close();
            throw statusError(r.statusCode(), repoId + "/" + f.path());
        }
        try (InputStream in = r.body();
                OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, have > 0 ? StandardOpenOption.APPEND
                        : StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            Progress progress = new Progress(log, f.path(), f.size(), have);
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                progress.add(n);
            }
            progress.done();
        }
        verify(f, partial);
        Files.move(partial, blob, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Size, then sha256 (LFS) or the git blob sha1 (small files); a mismatch deletes the download. */
    private static void verify(RepoFile f, Path file) throws IOException {
        long size = Files.size(file);
        if (f.size() >= 0 && size != f.size()) {
            throw new HubException(f.path() + ": downloaded " + size + " bytes, the hub lists " + f.size() + " (kept as " + file + " to resume)");
        }
        String expected = f.sha256() != null ? f.sha256() : f.blobId();
        if (expected == null) return;
        MessageDigest md = digest(f.sha256() != null ? "SHA-256" : "SHA-1");
        if (f.sha256() == null) md.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII)); // git's blob header
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        String actual = HexFormat.of().formatHex(md.digest());
        if (!actual.equalsIgnoreCase(expected)) {
            Files.delete(file);
            throw new HubException(f.path() + ": the download's hash " + actual + " differs from the hub's " + expected + " (deleted; run again)");
        }
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is missing from this JDK", e);
        }
    }

    /** snapshots/COMMIT/PATH → ../../blobs/BLOB (relative, as huggingface_hub links), or a copy where links are not allowed. */
    private static void link(Path target, Path blob) throws IOException {
        Files.createDirectories(target.getParent());
        Path relative = target.getParent().relativize(blob);
        if (Files.isSymbolicLink(target) && Files.readSymbolicLink(target).equals(relative)) return;
        Files.deleteIfExists(target);
        try {
            Files.createSymbolicLink(target, relative);
        } catch (UnsupportedOperationException | IOException e) {
            Files.copy(blob, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private HttpRequest.Builder request(String url) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(10)).header("User-Agent", "pagoda/0.1.0");
        if (config.token() != null) b.header("Authorization", "Bearer " + config.token());
        return b;
    }

    private String get(String url, String what) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(request(url).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw statusError(r.statusCode(), what);
        return r.body();
    }

    private HubException statusError(int status, String what) {
        return switch (status) {
            case 401, 403 -> new HubException(what + ": the hub refused access (HTTP " + status + "); for a gated or private model set HF_TOKEN"
                    + (config.token() == null ? "" : " to a token that has access"));
            case 404 -> new HubException(what + ": not found on " + config.endpoint() + " (HTTP 404): check the name and revision");
            default -> new HubException(what + ": the hub answered HTTP " + status);
        };
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String path) {
        List<String> parts = new ArrayList<>();
        for (String p : path.split("/")) parts.add(encode(p));
        return String.join("/", parts);
    }
}
