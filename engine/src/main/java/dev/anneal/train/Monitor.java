package dev.anneal.train;

import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;
import dev.anneal.config.Shown;

import java.util.List;
import java.util.Objects;

/**
 * The figure a callback watches and which way is better, as Keras's {@code monitor} and
 * {@code mode}: one of the epoch figures of the run's {@link History} ({@code train_loss},
 * {@code val_loss}, {@code val_accuracy}, {@code val_top5}, ...), improving when it moves past the
 * best so far by more than {@code minDelta}.
 */
public record Monitor(String figure, Mode mode, double minDelta) {
    /** Lower is better (a loss), or higher (an accuracy). */
    public enum Mode {
        MIN, MAX
    }

    public Monitor {
        Objects.requireNonNull(mode, "mode");
        Checks c = new Checks("monitor");
        c.require(figure != null && !figure.isBlank(), "figure", "needs a name, such as \"val_loss\"");
        c.nonNegative("minDelta", minDelta);
        c.throwIfAny();
    }

    /** {@code figure} with no minimum change. */
    public static Monitor of(String figure, Mode mode) {
        return new Monitor(figure, mode, 0);
    }

    /** The value every real one improves on. */
    public double worst() {
        return mode == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /** Whether {@code value} improves on {@code best} by more than {@link #minDelta}; NaN never does. */
    public boolean improves(double value, double best) {
        return mode == Mode.MIN ? value < best - minDelta : value > best + minDelta;
    }

    /**
     * Refuses, before training, a figure the run does not measure: {@code figures} are those of
     * its epoch rows ({@link TrainingEvent.Started}); {@code path} names the callback.
     */
    public static void requireMeasured(String path, String figure, List<String> figures) {
        if (figures.contains(figure)) {
            return;
        }
        boolean validated = figures.stream().anyMatch(f -> f.startsWith(History.VALIDATION));
        throw new InvalidConfigException(path + ".monitor", "is " + Shown.quoted(figure) + ", which this run does "
                + "not measure; it measures " + figures + (validated
                ? " (add the metric on the validation set, such as metrics { loss() } for val_loss)"
                : " (it has no validation set: give it one for val_ figures)"));
    }
}
