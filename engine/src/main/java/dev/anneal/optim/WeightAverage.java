package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

import java.util.List;

/**
 * A stage that keeps an average of the weights: in a state array of its own, as the parameter
 * stages {@link dev.anneal.grad.Ema} and {@link dev.anneal.grad.Swa} and ASGD's rule do, which
 * {@link Optimizer#swapAverages()} exchanges with the weights; or as a function of the weights and
 * its state ({@link #average}), as Schedule-Free's x, which the swap computes. The training loop's
 * validation reports the metrics of the averaged weights under {@link #name()}:
 * {@code "ema.accuracy"}, {@code "swa.accuracy"}. An optimizer keeps at most one such average.
 */
public interface WeightAverage extends Stage {
    /** The prefix of the figures measured with the average, and the name of the state array that holds it, if one does. */
    String name();

    /** An average changes no gradient and follows the weights the rule leaves (a rule that averages says RULE). */
    @Override
    default Kind kind() {
        return Kind.PARAMETER;
    }

    /** Its one state array, the average, unless it computes it. */
    @Override
    default List<String> stateNames(Hyperparams h) {
        return List.of(name());
    }

    /** What starts an average on the fused path: a copy of the weights. */
    ElementKernel COPY_WEIGHTS = (w, g, state, n) -> System.arraycopy(w, 0, state[0], 0, n);

    /** What starts an average on the generic path: a copy of the weights. */
    static void copyWeights(NDArray weight, NDArray average) {
        average.set(new NDIndex("..."), weight);
    }

    /**
     * The average of one tensor, for an average not kept in a state array of its own (none of its
     * {@link #stateNames} is {@link #name()}) but computed from the weights and its state, as
     * Schedule-Free's x: {@link Optimizer#swapAverages()} puts it in and keeps the weights aside.
     *
     * @param state this stage's arrays, in {@link #stateNames} order
     * @param step  the optimizer's step counter, for scheduled values
     */
    default NDArray average(NDArray weight, NDArray[] state, Hyperparams h, long step) {
        throw new IllegalStateException(name() + " keeps its average in its state array");
    }

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
