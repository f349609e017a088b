package dev.pagoda.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code --plot FILE.png} for sweeps, drawn with XChart: one line per series over the swept value
 * (throughput vs batch size, latency vs request rate), written as a PNG.
 */
public final class SweepPlot {
    private SweepPlot() {}

    /** One line: its legend name and y values, one per x. */
    public record Series(String name, double[] y) {}

    /** Draws and writes the chart; {@code logX} for doubling sweeps (1, 2, 4, …). */
    public static void write(Path file, String title, String xLabel, String yLabel, double[] x, List<Series> series, boolean logX) {
        if (!file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
            throw new IllegalArgumentException("--plot writes a PNG: the file name must end in .png, got " + file);
        }
        System.setProperty("java.awt.headless", "true"); // no display on servers and in CI
        XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        chart.getStyler().setXAxisLogarithmic(logX && x.length > 1 && x[0] > 0);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        for (Series s : series) chart.addSeries(s.name(), x, s.y()).setMarker(SeriesMarkers.CIRCLE);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write --plot " + file + ": " + e.getMessage());
        } catch (RuntimeException | InternalError | LinkageError e) {
            // Java2D draws text with the system's fonts: a bare server without fontconfig fonts fails
            // here ("Fontconfig head is null"). The figures are already printed and in --result-json.
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the half-written file stays; the message below says it is not a chart
            }
            throw new IllegalArgumentException("cannot draw --plot " + file + " on this machine (" + e.getMessage()
                    + "): Java needs system fonts to draw text, e.g. Debian's fontconfig and fonts-dejavu-core; "
                    + "the results above and in --result-json are complete");
        }
    }
}
