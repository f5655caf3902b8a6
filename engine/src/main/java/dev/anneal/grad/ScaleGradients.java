package dev.anneal.grad;

import ai.djl.ndarray.NDArray;
import dev.anneal.internal.FusedOps;
import dev.anneal.internal.Loops;
import dev.anneal.optim.ElementKernel;
import dev.anneal.optim.Hyperparameter;
import dev.anneal.optim.Hyperparams;
import dev.anneal.optim.Stage;

import java.util.List;

/**
 * The gradients times one float32 factor, {@code g = g * factor}: what clipping by a norm is once
 * the norm is known, and how a loss scale is divided out ({@code factor = 1 / scale}). A factor of
 * 1 leaves the gradients as they are, as PyTorch's kernels do.
 */
public record ScaleGradients(float factor) implements Stage {
    @Override
    public Kind kind() {
        return Kind.GRADIENT;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of();
    }

    @Override
    public NDArray apply(NDArray w, NDArray grad, NDArray[] state, Hyperparams h, long step, long count) {
        return factor == 1f ? grad : grad.mul(FusedOps.scalar(grad, factor));
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long step, long count) {
        return factor == 1f ? null : (w, g, state, n) -> Loops.scale(g, factor, n);
    }
}
