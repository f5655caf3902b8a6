package dev.anneal.grad;

/**
 * What {@code Optimizer.zeroGrad()} leaves and a step does with a parameter that the backward
 * passes since then gave no gradient (a branch the forward pass did not take, a head not used
 * this batch). libtorch tells "no gradient" from "a zero gradient"; so does Anneal: a gradient
 * never defined, or one that {@code zeroGrad()} cleared to none and no backward pass added to.
 */
public enum NoGradient {
    /**
     * PyTorch 2.x's default, {@code zero_grad(set_to_none=True)}: the parameter is left alone,
     * its state, weight decay and update count standing still, as {@code torch.optim} skips a
     * parameter whose {@code grad} is {@code None}; clipping and checks leave it out too.
     */
    SKIP,
    /**
     * torch 1.13's default, {@code zero_grad(set_to_none=False)}: gradients are cleared to zero,
     * so a parameter that once had one is then updated with zeros when the backward passes miss
     * it (momentum and weight decay still move it); one that never had a gradient is skipped, as
     * {@code torch.optim} skips a {@code None} gradient, which {@code zero_grad} leaves {@code None}.
     */
    ZERO;

    public static final NoGradient DEFAULT = SKIP;
}
