package dev.anneal.train.metric;

import ai.djl.ndarray.NDArray;

/** A figure accumulated over the batches of an evaluation: accuracy, top-k, mean loss. */
public interface Metric {
    /** The key the figure is reported under ({@code accuracy}, {@code top5}, {@code loss}). */
    String name();

    /** Adds a batch: the model's outputs and the labels. */
    void update(NDArray predictions, NDArray labels);

    /** The figure over every batch since the last {@link #reset()}. */
    double value();

    void reset();
}
