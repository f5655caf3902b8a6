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
 * Decoupled weight decay (Loshchilov and Hutter, 2019, "Decoupled Weight Decay Regularization"),
 * as {@code torch.optim.AdamW} applies it before the update: {@code w = w * (1 - lr * weightDecay)},
 * the factor rounded to the weights' type once.
 */
public final class DecoupledDecay implements Stage {
    public static final DecoupledDecay STAGE = new DecoupledDecay();

    private DecoupledDecay() {
    }

    @Override
    public Kind kind() {
        return Kind.PARAMETER;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Hyperparameter.WEIGHT_DECAY);
    }

    @Override
    public NDArray apply(NDArray w, NDArray grad, NDArray[] state, Hyperparams h, long step, long count) {
        double decay = h.at(Hyperparameter.WEIGHT_DECAY, step);
        if (decay != 0) {
            w.muli(FusedOps.scalar(w, 1 - h.at(Hyperparameter.LR, step) * decay));
        }
        return grad;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long step, long count) {
        double decay = h.at(Hyperparameter.WEIGHT_DECAY, step);
        float shrink = (float) (1 - h.at(Hyperparameter.LR, step) * decay);
        return decay == 0 ? null : (w, g, state, n) -> Loops.scale(w, shrink, n);
    }
}
