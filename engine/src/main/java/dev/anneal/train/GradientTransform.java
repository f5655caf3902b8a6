package dev.anneal.train;

import dev.anneal.optim.Optimizer;

/**
 * Works on the gradients between the backward pass and the optimizer's update: clipping,
 * accumulation and loss scaling plug in here, so none of them touches the loop. Transforms run in
 * the order given; one that returns false skips this batch's update (an overflow under loss
 * scaling, a batch still accumulating), and the optimizer's step counter does not move.
 */
@FunctionalInterface
public interface GradientTransform {
    /** Reads or changes the gradients of {@code optimizer}'s parameters; false skips the update. */
    boolean apply(Optimizer<?> optimizer);
}
