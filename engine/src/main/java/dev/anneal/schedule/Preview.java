package dev.anneal.schedule;

import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The values of named schedules over a planned run, before training: as CSV (a {@code step}
 * column, then one per schedule) and as a PNG line plot, one curve per schedule. For an
 * optimizer, {@code new Preview(spec.scheduled(), steps)} shows every scheduled hyperparameter
 * of every group.
 *
 * <p>Every value shown is checked as training checks a hyperparameter: a negative or non-finite
 * one is refused, naming the schedule and the step, and nothing is written. A CSV has one row per
 * step up to {@link #MAX_CSV_ROWS}; a longer run is written every n-th step
 * ({@link #writeCsv(Path, long)}), so a preview never writes gigabytes. A file is written whole
 * or not at all.
 */
public final class Preview {
    /** The most rows a CSV may have: about 25 MB for one schedule. */
    public static final long MAX_CSV_ROWS = 1_000_000;

    private static final List<Color> COLORS = List.of(new Color(31, 119, 180), new Color(255, 127, 14),
            new Color(44, 160, 44), new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75));
    private static final int WIDTH = 900;
    private static final int HEIGHT = 520;
    private static final int MARGIN_LEFT = 90;
    private static final int MARGIN = 40;

    private final Map<String, Schedule> series;
    private final long steps;

    /** Previews {@code series} (name to schedule, in order) over steps 1 to {@code steps}. */
    public Preview(Map<String, Schedule> series, long steps) {
        if (series.isEmpty() || steps < 1) {
            throw new InvalidConfigException("preview", "needs at least one schedule and one step, got "
                    + series.size() + " schedules and " + steps + " steps");
        }
        this.series = new LinkedHashMap<>(series);
        this.steps = steps;
    }

    /** Each schedule's value at {@code step}, refused if one is negative or not finite, as training refuses it. */
    public Map<String, Double> values(long step) {
        Checks checks = new Checks("preview").atStep(step);
        Map<String, Double> values = new LinkedHashMap<>();
        series.forEach((name, schedule) -> {
            double v = schedule.at(step);
            checks.nonNegative(name, v);
            values.put(name, v);
        });
        checks.throwIfAny();
        return values;
    }

    /** The rows of a CSV of {@code steps} steps written every {@code every}-th step: step 1, then every {@code every}-th, and the last. */
    public static long csvRows(long steps, long every) {
        return (steps - 1) / every + 1 + ((steps - 1) % every == 0 ? 0 : 1);
    }

    /** An {@code every} that keeps a CSV of {@code steps} steps within {@link #MAX_CSV_ROWS} rows: 1 when every step fits. */
    public static long csvEvery(long steps) {
        return steps <= MAX_CSV_ROWS ? 1 : Math.max(2, ceilDiv(steps - 1, MAX_CSV_ROWS - 2));
    }

    /** Every step as a row; refused beyond {@link #MAX_CSV_ROWS} steps. */
    public void writeCsv(Path file) throws IOException {
        writeCsv(file, 1);
    }

    /**
     * Every {@code every}-th step as a row, from step 1, and the last step: at most
     * {@link #MAX_CSV_ROWS} rows.
     */
    public void writeCsv(Path file, long every) throws IOException {
        if (every < 1) {
            throw new InvalidConfigException("preview.every", "must be at least 1, got " + every);
        }
        refuseFolder(file);
        long rows = csvRows(steps, every);
        if (rows > MAX_CSV_ROWS) {
            throw new InvalidConfigException("preview.steps", steps + " steps make " + rows + " rows, more than "
                    + MAX_CSV_ROWS + "; write every n-th step with n at least " + csvEvery(steps));
        }
        Path target = file.toAbsolutePath();
        Path temporary = target.resolveSibling("." + target.getFileName() + ".tmp");
        try {
            try (Writer out = Files.newBufferedWriter(temporary)) {
                out.write("step," + String.join(",", series.keySet()) + "\n");
                for (long step = 1; ; step = steps - step > every ? step + every : steps) {
                    StringBuilder line = new StringBuilder(Long.toString(step));
                    for (double v : values(step).values()) {
                        line.append(',').append(v);
                    }
                    out.write(line.append('\n').toString());
                    if (step == steps) {
                        break;
                    }
                }
            }
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    public void writePng(Path file) throws IOException {
        refuseFolder(file);
        int plotW = WIDTH - MARGIN_LEFT - MARGIN;
        int points = (int) Math.min(steps, plotW * 2L);
        long[] at = new long[points];
        double[][] values = new double[series.size()][points];
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < points; i++) {
            at[i] = sampled(i, points);
            int k = 0;
            for (double v : values(at[i]).values()) {
                values[k++][i] = v;
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        if (max == min) {
            max = min + Math.max(Math.abs(min), 1e-12);
        }
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        int plotH = HEIGHT - 2 * MARGIN;
        g.setColor(Color.DARK_GRAY);
        g.drawRect(MARGIN_LEFT, MARGIN, plotW, plotH);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(label(max), 5, MARGIN + 5);
        g.drawString(label(min), 5, MARGIN + plotH);
        g.drawString("1", MARGIN_LEFT, HEIGHT - MARGIN + 16);
        String last = "step " + steps;
        g.drawString(last, MARGIN_LEFT + plotW - g.getFontMetrics().stringWidth(last), HEIGHT - MARGIN + 16);
        int index = 0;
        for (String name : series.keySet()) {
            Color color = COLORS.get(index % COLORS.size());
            Path2D.Double curve = new Path2D.Double();
            for (int i = 0; i < points; i++) {
                double x = MARGIN_LEFT + plotW * (steps == 1 ? 0 : (at[i] - 1) / (double) (steps - 1));
                double y = MARGIN + plotH * (1 - (values[index][i] - min) / (max - min));
                if (i == 0) {
                    curve.moveTo(x, y);
                } else {
                    curve.lineTo(x, y);
                }
            }
            g.setColor(color);
            g.setStroke(new BasicStroke(2f));
            g.draw(curve);
            g.drawString(name, MARGIN_LEFT + 10, MARGIN + 18 + 16 * index);
            index++;
        }
        g.dispose();
        try (OutputStream out = Files.newOutputStream(file)) {
            ImageIO.write(image, "png", out);
        }
    }

    /** The step drawn as point {@code i} of {@code points}, first and last step included. */
    private long sampled(int i, int points) {
        return points == 1 ? 1 : 1 + Math.round((steps - 1) * (double) i / (points - 1));
    }

    private static void refuseFolder(Path file) {
        if (Files.isDirectory(file)) {
            throw new InvalidConfigException(file.toString(), "is a folder; give the name of a file to write");
        }
    }

    private static long ceilDiv(long a, long b) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    private static String label(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }
}
