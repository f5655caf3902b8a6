package dev.anneal.optim;

/**
 * A parameter stage that keeps an average of the weights in one of its state arrays, as
 * {@link dev.anneal.grad.Ema} and {@link dev.anneal.grad.Swa} do. {@link Optimizer#swapAverages()}
 * exchanges that array with the weights, and the training loop's validation reports the metrics
 * of the averaged weights under {@link #name()}: {@code "ema.accuracy"}, {@code "swa.accuracy"}.
 * An optimizer keeps at most one such average.
 */
public interface WeightAverage extends Stage {
    /** The state array that holds the average, also the prefix of the figures measured with it. */
    String name();

    /** Whether a tensor's average holds anything once the tensor has had {@code updates} updates. */
    boolean started(long updates);

    /**
     * Whether batch-norm running statistics must be recomputed for the averaged weights before
     * they are evaluated: the statistics the model kept belong to other weights. True for SWA,
     * whose average is far from the last weights ({@code torch.optim.swa_utils.update_bn}).
     */
    default boolean recomputesBatchNorm() {
        return false;
    }
}
