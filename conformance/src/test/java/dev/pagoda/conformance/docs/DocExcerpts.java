package dev.pagoda.conformance.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Code excerpts in Markdown that are copies of tagged regions of the real source, so a doc cannot
 * drift from the code without a test noticing.
 *
 * <p>In a source file (Java or CUDA), a region is a run of lines between two comment lines:
 * <pre>
 *   // region: slot
 *   public int slot(int position) { … }
 *   // endregion
 * </pre>
 * In the doc, an excerpt is a marker line followed directly by a fenced code block:
 * <pre>
 *   &lt;!-- excerpt: engine/src/main/java/dev/pagoda/engine/kvcache/BlockTable.java#slot --&gt;
 *   ```java
 *   public int slot(int position) { … }
 *   ```
 * </pre>
 * The excerpt's text is the region's lines, less their common indentation, with any nested region
 * markers left out. {@link #check} lists every excerpt that differs or whose region is gone;
 * {@link #update} rewrites the doc's excerpts from the code.
 */
final class DocExcerpts {
    static final Pattern MARKER = Pattern.compile("^<!-- excerpt: (\\S+)#(\\S+) -->\\s*$");
    private static final Pattern REGION_START = Pattern.compile("^\\s*//\\s*region:\\s*(\\S+)\\s*$");
    private static final Pattern REGION_END = Pattern.compile("^\\s*//\\s*endregion\\b.*$");

    private DocExcerpts() {}

    /** One excerpt of a doc: where it is and what it claims. */
    record Excerpt(String file, String region, int markerLine, int fenceStart, int fenceEnd, String text) {
        String ref() {
            return file + "#" + region;
        }
    }

    /** A region that cannot be read; the message says which and why. */
    static final class RegionException extends RuntimeException {
        RegionException(String message) {
            super(message);
        }
    }

    /** The excerpts of {@code docLines} (0-based line indices; fences exclusive of the ``` lines). */
    static List<Excerpt> excerpts(List<String> docLines, String docName) {
        List<Excerpt> out = new ArrayList<>();
        for (int i = 0; i < docLines.size(); i++) {
            Matcher m = MARKER.matcher(docLines.get(i));
            if (!m.matches()) continue;
            if (i + 1 >= docLines.size() || !docLines.get(i + 1).startsWith("```")) {
                throw new RegionException(docName + ":" + (i + 1) + ": the excerpt marker for " + m.group(1) + "#" + m.group(2)
                        + " must be followed directly by a ``` code block");
            }
            int end = i + 2;
            while (end < docLines.size() && !docLines.get(end).equals("```")) end++;
            if (end == docLines.size()) throw new RegionException(docName + ":" + (i + 2) + ": the code block of " + m.group(1) + "#" + m.group(2) + " is never closed");
            out.add(new Excerpt(m.group(1), m.group(2), i, i + 2, end, String.join("\n", docLines.subList(i + 2, end))));
            i = end;
        }
        return out;
    }

    /** The text of region {@code name} of {@code file} (relative to {@code root}), dedented. */
    static String region(Path root, String file, String name) {
        Path path = root.resolve(file);
        if (!Files.isRegularFile(path)) throw new RegionException("excerpt " + file + "#" + name + ": no such file " + file);
        List<String> lines = readLines(path);
        List<String> body = null;
        int depth = 0, startLine = -1;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher start = REGION_START.matcher(line);
            if (start.matches()) {
                if (start.group(1).equals(name)) {
                    if (startLine >= 0) throw new RegionException(file + ": region '" + name + "' is tagged twice (lines " + (startLine + 1) + " and " + (i + 1) + ")");
                    startLine = i;
                    body = new ArrayList<>();
                    depth = 1;
                } else if (body != null && depth > 0) {
                    depth++;
                }
                continue;
            }
            if (REGION_END.matcher(line).matches()) {
                if (body != null && depth > 0) depth--;
                continue;
            }
            if (body != null && depth > 0) body.add(line);
        }
        if (body == null) throw new RegionException("excerpt " + file + "#" + name + ": region '" + name + "' is not tagged in " + file
                + " (add // region: " + name + " … // endregion around the code)");
        if (depth > 0) throw new RegionException(file + ":" + (startLine + 1) + ": region '" + name + "' has no // endregion");
        return dedent(body);
    }

    static String dedent(List<String> lines) {
        int indent = Integer.MAX_VALUE;
        for (String l : lines) if (!l.isBlank()) indent = Math.min(indent, l.length() - l.stripLeading().length());
        List<String> out = new ArrayList<>();
        for (String l : lines) out.add(l.isBlank() ? "" : l.substring(Math.min(indent, l.length())));
        return String.join("\n", out);
    }

    /** Every excerpt of {@code doc} that no longer matches the code, as one message each; empty when the doc is true. */
    static List<String> check(Path root, Path doc) {
        String docName = root.relativize(doc).toString();
        List<String> problems = new ArrayList<>();
        List<Excerpt> excerpts;
        try {
            excerpts = excerpts(readLines(doc), docName);
        } catch (RegionException e) {
            return List.of(e.getMessage());
        }
        if (excerpts.isEmpty()) problems.add(docName + " has no excerpts (<!-- excerpt: FILE#REGION --> before a code block)");
        for (Excerpt e : excerpts) {
            String code;
            try {
                code = region(root, e.file(), e.region());
            } catch (RegionException ex) {
                problems.add(docName + ":" + (e.markerLine() + 1) + ": " + ex.getMessage());
                continue;
            }
            if (!code.equals(e.text())) {
                problems.add(docName + ":" + (e.markerLine() + 1) + ": excerpt " + e.ref() + " no longer matches the code ("
                        + firstDifference(e.text(), code) + ")");
            }
        }
        return problems;
    }

    private static String firstDifference(String doc, String code) {
        String[] a = doc.split("\n", -1), b = code.split("\n", -1);
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            String x = i < a.length ? a[i] : "<end>", y = i < b.length ? b[i] : "<end>";
            if (!x.equals(y)) return "excerpt line " + (i + 1) + ": doc has '" + x.strip() + "', code has '" + y.strip() + "'";
        }
        return "whitespace differs";
    }

    /** {@code doc} with every excerpt replaced by its region's current text; throws if a region is missing. */
    static String update(Path root, Path doc) {
        List<String> lines = new ArrayList<>(readLines(doc));
        List<Excerpt> excerpts = excerpts(lines, root.relativize(doc).toString());
        for (Excerpt e : excerpts.reversed()) { // from the end, so earlier indices stay valid
            String code = region(root, e.file(), e.region());
            lines.subList(e.fenceStart(), e.fenceEnd()).clear();
            lines.addAll(e.fenceStart(), List.of(code.split("\n", -1)));
        }
        return String.join("\n", lines) + "\n";
    }

    private static List<String> readLines(Path p) {
        try {
            return Files.readAllLines(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
