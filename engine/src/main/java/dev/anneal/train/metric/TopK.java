package dev.anneal.train.metric;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.anneal.config.InvalidConfigException;

/**
 * Top-k accuracy: the fraction of samples whose label is among the {@code k} highest scores
 * ({@code k = 1} is plain accuracy). Accumulates over batches; {@link #value()} is the running
 * fraction. A label's score tied with the k-th counts as a hit only if fewer than {@code k}
 * scores are strictly higher, so ties never inflate the figure beyond the sorted order's.
 */
public final class TopK implements Metric {
    private final int k;
    private long correct;
    private long total;

    public TopK(int k) {
        if (k < 1) {
            throw new InvalidConfigException("metric.topK.k", "must be at least 1, got " + k);
        }
        this.k = k;
    }

    /** Plain accuracy. */
    public static TopK accuracy() {
        return new TopK(1);
    }

    /** {@code accuracy} for k = 1, else {@code top<k>}. */
    @Override
    public String name() {
        return k == 1 ? "accuracy" : "top" + k;
    }

    /** Adds a batch: scores {@code (N, classes)}, labels {@code (N)} class indices. */
    @Override
    public void update(NDArray scores, NDArray labels) {
        if (scores.getShape().dimension() != 2 || labels.getShape().dimension() != 1
                || labels.getShape().get(0) != scores.getShape().get(0)) {
            throw new InvalidConfigException("metric.topK", "needs scores (N, classes) and labels (N), got "
                    + scores.getShape() + " and " + labels.getShape());
        }
        if (k > scores.getShape().get(1)) {
            throw new InvalidConfigException("metric.topK.k", "must be at most the number of classes "
                    + scores.getShape().get(1) + ", got " + k);
        }
        try (NDScope ignored = new NDScope()) {
            // Scores strictly above the label's own: a hit when fewer than k of them.
            NDArray own = scores.get(new NDIndex().addAllDim().addPickDim(
                    labels.toType(DataType.INT64, false).reshape(-1, 1))).reshape(-1, 1);
            NDArray above = scores.gt(own).toType(DataType.INT64, false).sum(new int[] {1});
            correct += above.lt(k).countNonzero().getLong();
        }
        total += labels.getShape().get(0);
    }

    public long correct() {
        return correct;
    }

    public long total() {
        return total;
    }

    /** The fraction so far; 0 before any sample. */
    @Override
    public double value() {
        return total == 0 ? 0 : (double) correct / total;
    }

    @Override
    public void reset() {
        correct = 0;
        total = 0;
    }
}
