package dev.anneal.train.metric;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.training.loss.Loss;

/** A loss's mean over the samples of an evaluation (batches weighted by their size). */
public final class MeanLoss implements Metric {
    private final Loss loss;
    private double sum;
    private long count;

    public MeanLoss(Loss loss) {
        this.loss = loss;
    }

    @Override
    public String name() {
        return "loss";
    }

    @Override
    public void update(NDArray predictions, NDArray labels) {
        long n = labels.getShape().get(0);
        try (NDScope ignored = new NDScope()) {
            sum += loss.evaluate(new NDList(labels), new NDList(predictions)).getFloat() * (double) n;
        }
        count += n;
    }

    /** NaN before any sample. */
    @Override
    public double value() {
        return count == 0 ? Double.NaN : sum / count;
    }

    @Override
    public void reset() {
        sum = 0;
        count = 0;
    }
}
