package dev.anneal.train;

import dev.anneal.optim.Optimizer;

/**
 * Works on the gradients between the backward pass and the optimizer's update, for what the
 * optimizer's own tools (clipping, loss scaling, the non-finite check) do not do. With
 * {@link Accumulation} it runs once per step, on the gradients of the whole group. Transforms run
 * in the order given; one that returns false skips the update, and the optimizer's step counter
 * does not move. The gradients are cleared only after a step, so a skipped update leaves them for
 * the next batches to add to; a transform that skips to drop them clears them itself with
 * {@link Optimizer#zeroGrad()}.
 */
@FunctionalInterface
public interface GradientTransform {
    /** Reads or changes the gradients of {@code optimizer}'s parameters; false skips the update. */
    boolean apply(Optimizer<?> optimizer);
}
