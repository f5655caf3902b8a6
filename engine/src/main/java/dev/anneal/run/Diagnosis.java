package dev.anneal.run;

import dev.anneal.train.History;
import dev.anneal.train.TrainingResult;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a run's loss curves say, as a person reading them would put it. From the epochs (or, for a
 * run of one epoch, from the first and last fifth of its logged steps):
 * <ul>
 *   <li>{@link Verdict#DIVERGED}: the loss became NaN or infinite (the run stopped there);</li>
 *   <li>{@link Verdict#RISING}: the training loss rose by more than {@link #FLAT};</li>
 *   <li>{@link Verdict#OVERFITTING}: the training loss fell while the validation loss (or, without
 *       one, the validation accuracy) was best at an earlier epoch and has since worsened by more
 *       than {@link #FLAT}: overfitting from the epoch after the best;</li>
 *   <li>{@link Verdict#LEARNING}: the training loss fell by more than {@link #FLAT};</li>
 *   <li>{@link Verdict#STUCK}: it moved by less than that either way;</li>
 *   <li>{@link Verdict#TOO_SHORT}: one epoch with fewer than {@link #MIN_STEPS} logged steps.</li>
 * </ul>
 *
 * @param text one line that says it, the verdict first, then the figures behind it
 */
public record Diagnosis(Verdict verdict, String text) {
    /** A relative change below this (1 %) is flat. */
    public static final double FLAT = 0.01;
    /** The fewest logged steps a one-epoch run is judged on. */
    public static final int MIN_STEPS = 10;

    public enum Verdict {
        LEARNING, OVERFITTING, STUCK, RISING, DIVERGED, TOO_SHORT
    }

    /** The diagnosis of a finished run: its history, and how it stopped. */
    public static Diagnosis of(TrainingResult result) {
        return of(result.history(), result.stopReason());
    }

    /** The diagnosis of {@code history}; {@code stopReason} is the loop's (null when it ran every epoch). */
    public static Diagnosis of(History history, String stopReason) {
        if (stopReason != null && stopReason.startsWith("loss is")) {
            return new Diagnosis(Verdict.DIVERGED, "diverged - the " + stopReason);
        }
        List<History.Row> epochs = history.epochs();
        double[] train = epochs.stream().mapToDouble(r -> r.get(History.TRAIN_LOSS)).toArray();
        String span = epochs.size() + " epochs";
        if (epochs.size() < 2) {
            double[] steps = history.steps().stream().mapToDouble(r -> r.get(History.LOSS)).toArray();
            if (steps.length < MIN_STEPS) {
                return new Diagnosis(Verdict.TOO_SHORT, "too short to tell - " + epochs.size() + " epoch and "
                        + steps.length + " logged steps (at least 2 epochs or " + MIN_STEPS + " steps are needed)");
            }
            int fifth = Math.max(1, steps.length / 5);
            train = new double[] {mean(Arrays.copyOfRange(steps, 0, fifth)),
                    mean(Arrays.copyOfRange(steps, steps.length - fifth, steps.length))};
            span = "the first and last fifth of " + steps.length + " logged steps";
        }
        double first = train[0];
        double last = train[train.length - 1];
        if (!Double.isFinite(first) || !Double.isFinite(last)) {
            return new Diagnosis(Verdict.DIVERGED, "diverged - the training loss is " + last + " at the end");
        }
        double change = (last - first) / Math.abs(first);
        String trend = String.format(Locale.ROOT, "the training loss went from %s to %s over %s", figure(first),
                figure(last), span);
        if (change > FLAT) {
            return new Diagnosis(Verdict.RISING, "rising - " + trend + "; lower the learning rate");
        }
        if (change >= -FLAT) {
            return new Diagnosis(Verdict.STUCK, "stuck - " + trend + "; try a larger learning rate, or check the data "
                    + "and labels");
        }
        Diagnosis overfitting = overfitting(epochs, trend);
        return overfitting != null ? overfitting : new Diagnosis(Verdict.LEARNING, "learning - " + trend
                + validationTrend(epochs));
    }

    /** Overfitting: the validation loss (or accuracy) best before the last epoch and worse since. */
    private static Diagnosis overfitting(List<History.Row> epochs, String trend) {
        String column = column(epochs);
        if (column == null || epochs.size() < 2) {
            return null;
        }
        boolean lower = column.endsWith("loss");
        int best = 0;
        for (int i = 1; i < epochs.size(); i++) {
            double v = epochs.get(i).get(column);
            double b = epochs.get(best).get(column);
            if (lower ? v < b : v > b) {
                best = i;
            }
        }
        double bestValue = epochs.get(best).get(column);
        double lastValue = epochs.get(epochs.size() - 1).get(column);
        double worse = (lower ? lastValue - bestValue : bestValue - lastValue) / Math.abs(bestValue);
        if (best == epochs.size() - 1 || !(worse > FLAT)) {
            return null;
        }
        return new Diagnosis(Verdict.OVERFITTING, String.format(Locale.ROOT,
                "overfitting from epoch %d - %s, while the %s was best at epoch %d (%s) and is %s now; stop earlier, "
                        + "or add regularization or data", best + 2, trend, column, best + 1, figure(bestValue),
                figure(lastValue)));
    }

    private static String validationTrend(List<History.Row> epochs) {
        String column = column(epochs);
        if (column == null || epochs.size() < 2) {
            return "";
        }
        return String.format(Locale.ROOT, ", the %s from %s to %s", column, figure(epochs.get(0).get(column)),
                figure(epochs.get(epochs.size() - 1).get(column)));
    }

    /** The validation figure judged on: the loss where measured, else the accuracy; null for neither. */
    private static String column(List<History.Row> epochs) {
        for (String name : List.of(History.VALIDATION + "loss", History.VALIDATION + "accuracy")) {
            if (!epochs.isEmpty() && epochs.stream().allMatch(r -> Double.isFinite(r.get(name)))) {
                return name;
            }
        }
        return null;
    }

    private static double mean(double[] values) {
        return Arrays.stream(values).average().orElse(Double.NaN);
    }

    /** Four significant digits. */
    private static String figure(double value) {
        return String.format(Locale.ROOT, "%.4g", value);
    }
}
