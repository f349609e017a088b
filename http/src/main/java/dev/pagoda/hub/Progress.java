package dev.pagoda.hub;

import java.io.PrintStream;

/** A one-line download progress bar, redrawn at most five times a second: {@code model.safetensors  43% |████░░░░| 412/958 MiB 85.1 MiB/s}. */
final class Progress {
    private static final int WIDTH = 24;
    private final PrintStream out;
    private final String name;
    private final long total;
    private final long start;
    private final long t0 = System.nanoTime();
    private long done;
    private long lastDraw;

    Progress(PrintStream out, String name, long total, long alreadyDone) {
        this.out = out;
        this.name = name;
        this.total = total;
        this.start = alreadyDone;
        this.done = alreadyDone;
        if (alreadyDone > 0) out.printf("%s: resuming at %.1f MiB%n", name, alreadyDone / 1048576.0);
    }

    void add(long n) {
        done += n;
        long now = System.nanoTime();
        if (now - lastDraw > 200_000_000L) {
            lastDraw = now;
            draw(false);
        }
    }

    void done() {
        draw(true);
    }

    private void draw(boolean last) {
        double secs = Math.max((System.nanoTime() - t0) / 1e9, 1e-9);
        double rate = (done - start) / 1048576.0 / secs;
        String bar = "";
        String pct = "";
        if (total > 0) {
            int filled = (int) Math.min(WIDTH, done * WIDTH / total);
            bar = " |" + "█".repeat(filled) + "░".repeat(WIDTH - filled) + "|";
            pct = String.format(" %3d%%", done * 100 / total);
        }
        out.printf("\r%s%s%s %.1f/%s MiB %.1f MiB/s%s", name, pct, bar, done / 1048576.0,
                total > 0 ? String.format("%.1f", total / 1048576.0) : "?", rate, last ? "\n" : "");
        out.flush();
    }
}
