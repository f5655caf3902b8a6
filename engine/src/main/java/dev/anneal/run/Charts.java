package dev.anneal.run;

import dev.anneal.plot.LineChart;
import dev.anneal.train.History;
import org.knowm.xchart.XYChart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The charts of a run, from its {@link History}: the training and validation loss per epoch
 * ({@code loss.png}), every other validation figure per epoch ({@code validation.png}), the loss of
 * each logged step with its running average ({@code step-loss.png}), and one chart for every
 * other figure that changes from step to step (a scheduled learning rate, the gradient norm, the
 * loss scale), one line per group ({@code step-lr.png}). Points that are NaN or infinite are left
 * out of a line. {@link RunFolder} writes them ({@link LineChart#png}).
 */
public final class Charts {
    /**
     * The weight of the running average over the step losses, TensorBoard's smoothing: {@code s =
     * w s + (1 - w) x}, divided by {@code 1 - w^n} so that it does not start at zero.
     */
    public static final double SMOOTHING = 0.9;
    /** Step figures that are not charted: the loss has its own chart, the rest are counters and clocks. */
    private static final Set<String> NOT_CHARTED = Set.of(History.LOSS, History.MEAN_LOSS, History.TIME, "skipped_steps");

    private Charts() {
    }

    /** The training loss and, with a validation loss, the validation loss of each epoch, by epoch (1 first). */
    public static XYChart losses(History history) {
        Map<String, double[][]> series = new LinkedHashMap<>();
        series.put("training", byEpoch(history, History.TRAIN_LOSS));
        String validation = History.VALIDATION + "loss";
        if (history.columns(History.Kind.EPOCH).contains(validation)) {
            series.put("validation", byEpoch(history, validation));
        }
        return LineChart.of("Loss per epoch", "epoch", "loss", series, true);
    }

    /** Every validation figure but the loss, by epoch; null when the run had none. */
    public static XYChart validation(History history) {
        Map<String, double[][]> series = new LinkedHashMap<>();
        for (String column : history.columns(History.Kind.EPOCH)) {
            if (column.startsWith(History.VALIDATION) && !column.equals(History.VALIDATION + "loss")) {
                series.put(column.substring(History.VALIDATION.length()), byEpoch(history, column));
            }
        }
        if (series.size() == 1) {
            String name = series.keySet().iterator().next();
            return LineChart.of("Validation " + name + " per epoch", "epoch", name, series, true);
        }
        return series.isEmpty() ? null : LineChart.of("Validation per epoch", "epoch", "value", series, true);
    }

    /** Each logged step's loss and its running average ({@link #SMOOTHING}), by step. */
    public static XYChart stepLoss(History history) {
        double[][] raw = byStep(history, History.LOSS);
        Map<String, double[][]> series = new LinkedHashMap<>();
        series.put("loss", raw);
        series.put("smoothed", new double[][] {raw[0], smoothed(raw[1])});
        return LineChart.of("Loss per step", "step", "loss", series, false);
    }

    /**
     * One chart for each step figure that changes during the run, by figure name: a figure kept
     * per group ({@code lr/conv}, {@code lr/head}) gets one line per group, others one line.
     */
    public static Map<String, XYChart> stepFigures(History history) {
        Map<String, Map<String, double[][]>> byFigure = new LinkedHashMap<>();
        for (String column : history.columns(History.Kind.STEP)) {
            int slash = column.indexOf('/');
            String figure = slash < 0 ? column : column.substring(0, slash);
            if (NOT_CHARTED.contains(figure)) {
                continue;
            }
            double[][] points = byStep(history, column);
            byFigure.computeIfAbsent(figure, f -> new LinkedHashMap<>()).put(slash < 0 ? figure : column.substring(slash + 1), points);
        }
        Map<String, XYChart> charts = new LinkedHashMap<>();
        byFigure.forEach((figure, series) -> {
            if (series.values().stream().anyMatch(points -> changes(points[1]))) {
                charts.put(figure, LineChart.of(figure + " per step", "step", figure, series, false));
            }
        });
        return charts;
    }

    /**
     * Every chart of {@code history} by file name ({@code loss}, {@code validation},
     * {@code step-loss}, {@code step-<figure>}), leaving out those without a point (no epoch
     * finished yet, no validation).
     */
    public static Map<String, XYChart> all(History history) {
        Map<String, XYChart> charts = new LinkedHashMap<>();
        charts.put("loss", losses(history));
        charts.put("validation", validation(history));
        charts.put("step-loss", stepLoss(history));
        stepFigures(history).forEach((figure, chart) -> charts.put("step-" + fileName(figure), chart));
        charts.values().removeIf(chart -> chart == null
                || chart.getSeriesCollection().stream().allMatch(s -> s.getXData().length == 0));
        return charts;
    }

    private static double[][] byEpoch(History history, String column) {
        List<History.Row> rows = history.epochs();
        return points(rows, column, r -> r.epoch() + 1.0);
    }

    private static double[][] byStep(History history, String column) {
        return points(history.steps(), column, r -> (double) r.step());
    }

    private static double[][] points(List<History.Row> rows, String column,
                                     java.util.function.ToDoubleFunction<History.Row> x) {
        List<double[]> points = new ArrayList<>();
        for (History.Row row : rows) {
            if (row.values().containsKey(column)) {
                points.add(new double[] {x.applyAsDouble(row), row.get(column)});
            }
        }
        double[][] out = new double[2][points.size()];
        for (int i = 0; i < points.size(); i++) {
            out[0][i] = points.get(i)[0];
            out[1][i] = points.get(i)[1];
        }
        return out;
    }

    /** The debiased running average of {@code values} ({@link #SMOOTHING}); a non-finite value is skipped. */
    static double[] smoothed(double[] values) {
        double[] out = new double[values.length];
        double average = 0;
        double weight = 1;
        for (int i = 0; i < values.length; i++) {
            if (Double.isFinite(values[i])) {
                average = SMOOTHING * average + (1 - SMOOTHING) * values[i];
                weight *= SMOOTHING;
            }
            out[i] = weight == 1 ? Double.NaN : average / (1 - weight);
        }
        return out;
    }

    private static boolean changes(double[] values) {
        for (double v : values) {
            if (Double.compare(v, values[0]) != 0) {
                return true;
            }
        }
        return false;
    }

    /** A figure's name as a file name: letters, digits, '.', '_' and '-' kept, anything else '_'. */
    private static String fileName(String figure) {
        return figure.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
