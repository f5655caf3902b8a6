package dev.anneal.grad;

import ai.djl.ndarray.NDArray;
import dev.anneal.internal.Loops;
import dev.anneal.optim.ElementKernel;
import dev.anneal.optim.Hyperparameter;
import dev.anneal.optim.Hyperparams;
import dev.anneal.optim.Stage;

import java.util.List;

/** PyTorch's {@code maximize=True}: {@code g = -g}, before every other stage, so the chain ascends. */
public final class Maximize implements Stage {
    public static final Maximize STAGE = new Maximize();

    private Maximize() {
    }

    @Override
    public Kind kind() {
        return Kind.GRADIENT;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.MAXIMIZE);
    }

    @Override
    public NDArray apply(NDArray w, NDArray grad, NDArray[] state, Hyperparams h, long step, long count) {
        return h.flag(Hyperparameter.MAXIMIZE) ? grad.neg() : grad;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long step, long count) {
        return h.flag(Hyperparameter.MAXIMIZE) ? (w, g, state, n) -> Loops.negate(g, n) : null;
    }
}
