package dev.anneal.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a run logged, as Keras's {@code History} and Lightning's logged metrics: one {@link Row}
 * per logged step (the batch's loss, the epoch's mean so far, every group's hyperparameters, the
 * loss scale, skipped steps and gradient norm where they apply) and one per epoch (the mean
 * training loss and every validation figure as {@code val_<name>}). Values are by column name;
 * a column a row lacks (no validation yet, clipping off) is simply absent from it. A figure kept
 * per group or per optimizer is named {@code <figure>/<group>}: {@code lr/conv}, {@code lr/default}.
 */
public final class History {
    /** Which rows a {@link Row} belongs to. */
    public enum Kind {
        STEP, EPOCH
    }

    /**
     * One logged row.
     *
     * @param epoch  the 0-based epoch it was logged in
     * @param step   the optimizer's step count at the time
     * @param values each figure by its column name, in column order
     */
    public record Row(Kind kind, int epoch, long step, Map<String, Double> values) {
        public Row {
            Objects.requireNonNull(kind, "kind");
            values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        }

        /** The figure in column {@code name}, NaN where the row has none. */
        public double get(String name) {
            return values.getOrDefault(name, Double.NaN);
        }
    }

    /** The mean training loss of an epoch row; of a step row, the batch's own is {@link #LOSS}. */
    public static final String TRAIN_LOSS = "train_loss";
    /** A step row's batch loss. */
    public static final String LOSS = "loss";
    /** A step row's mean loss of its epoch so far. */
    public static final String MEAN_LOSS = "mean_loss";
    /** Seconds since the run started. */
    public static final String TIME = "time";
    /** The prefix of an epoch row's validation figures: {@code val_accuracy}, {@code val_loss}. */
    public static final String VALIDATION = "val_";

    private final List<Row> steps = new ArrayList<>();
    private final List<Row> epochs = new ArrayList<>();

    /** The step rows, in order. */
    public List<Row> steps() {
        return Collections.unmodifiableList(steps);
    }

    /** The epoch rows, in order. */
    public List<Row> epochs() {
        return Collections.unmodifiableList(epochs);
    }

    /** Adds a row to its kind's list. */
    public void add(Row row) {
        (row.kind() == Kind.STEP ? steps : epochs).add(row);
    }

    /** Every column name of the rows of {@code kind}, in the order they first appear. */
    public List<String> columns(Kind kind) {
        Set<String> names = new LinkedHashSet<>();
        (kind == Kind.STEP ? steps : epochs).forEach(r -> names.addAll(r.values().keySet()));
        return List.copyOf(names);
    }

    /** Equal rows in the same order: runs equal but for their clocks differ in {@link #TIME}. */
    @Override
    public boolean equals(Object o) {
        return o instanceof History h && steps.equals(h.steps) && epochs.equals(h.epochs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(steps, epochs);
    }

    @Override
    public String toString() {
        return "History[" + steps.size() + " step rows, " + epochs.size() + " epoch rows]";
    }
}
