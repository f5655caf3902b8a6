package dev.anneal.plot;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Line charts drawn with XChart, {@link #WIDTH} by {@link #HEIGHT} on white, as PNG: the one look
 * of every chart Anneal draws (a run's curves, a schedule's preview).
 */
public final class LineChart {
    public static final int WIDTH = 900;
    public static final int HEIGHT = 520;

    private LineChart() {
    }

    /**
     * A line chart of {@code series} (name to {@code {x, y}}), {@link #WIDTH} by {@link #HEIGHT};
     * with {@code markers}, each point marked (epochs are few). The legend shows unless the one
     * line is named as the axis; the y labels have four significant digits.
     */
    public static XYChart of(String title, String xTitle, String yTitle, Map<String, double[][]> series,
                             boolean markers) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLegendVisible(series.size() > 1 || !series.containsKey(yTitle));
        chart.getStyler().setYAxisDecimalPattern(decimalPattern(series));
        series.forEach((name, points) -> {
            double[][] finite = finite(points);
            if (finite[0].length > 0) {
                XYSeries line = chart.addSeries(name, finite[0], finite[1]);
                line.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            }
        });
        return chart;
    }

    /**
     * Plain decimals with four significant digits for values from 0.001 to 10,000, otherwise
     * scientific ({@code 3.2E-5}): XChart's own labels print a double's every digit.
     */
    private static String decimalPattern(Map<String, double[][]> series) {
        double largest = 0;
        for (double[][] points : series.values()) {
            for (double y : points[1]) {
                if (Double.isFinite(y)) {
                    largest = Math.max(largest, Math.abs(y));
                }
            }
        }
        if (largest == 0 || (largest >= 1e-3 && largest < 1e4)) {
            int digits = largest == 0 ? 0 : Math.max(0, 3 - (int) Math.floor(Math.log10(largest)));
            return digits == 0 ? "0" : "0." + "#".repeat(digits);
        }
        return "0.###E0";
    }

    /** The points whose x and y are both finite. */
    private static double[][] finite(double[][] points) {
        int n = 0;
        for (int i = 0; i < points[0].length; i++) {
            if (Double.isFinite(points[0][i]) && Double.isFinite(points[1][i])) {
                n++;
            }
        }
        double[][] out = new double[2][n];
        for (int i = 0, j = 0; i < points[0].length; i++) {
            if (Double.isFinite(points[0][i]) && Double.isFinite(points[1][i])) {
                out[0][j] = points[0][i];
                out[1][j++] = points[1][i];
            }
        }
        return out;
    }

    /** {@code chart} as a PNG image. */
    public static byte[] png(XYChart chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot draw the chart " + chart.getTitle(), e);
        }
    }
}
