package dev.anneal.schedule;

import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;
import dev.anneal.internal.AtomicFile;
import dev.anneal.plot.LineChart;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The values of named schedules over a planned run, before training: as CSV (a {@code step}
 * column, then one per schedule) and as a PNG {@link LineChart}, one curve per schedule. For
 * an optimizer, {@code new Preview(spec.scheduled(), steps)} shows every scheduled
 * hyperparameter of every group.
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

    /** The line chart of every series as PNG bytes, at most two points a pixel across. */
    public byte[] png() {
        int points = (int) Math.min(steps, LineChart.WIDTH * 2L);
        Map<String, double[][]> curves = new LinkedHashMap<>();
        series.keySet().forEach(name -> curves.put(name, new double[2][points]));
        for (int i = 0; i < points; i++) {
            long at = sampled(i, points);
            int index = i;
            values(at).forEach((name, value) -> {
                curves.get(name)[0][index] = at;
                curves.get(name)[1][index] = value;
            });
        }
        String axis = series.size() == 1 ? series.keySet().iterator().next() : "value";
        return LineChart.png(LineChart.of("Over " + steps + " steps", "step", axis, curves, false));
    }

    public void writePng(Path file) throws IOException {
        refuseFolder(file);
        AtomicFile.write(file, png());
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
}
