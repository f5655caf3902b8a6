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
 * L2 weight decay in the gradient, as {@code torch.optim.SGD} and {@code Adam} apply
 * {@code weight_decay}: {@code g = g + weightDecay * w}, rounded once (PyTorch's
 * {@code grad.add(param, alpha=weight_decay)}).
 */
public final class L2Decay implements Stage {
    public static final L2Decay STAGE = new L2Decay();

    private L2Decay() {
    }

    @Override
    public Kind kind() {
        return Kind.GRADIENT;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.WEIGHT_DECAY);
    }

    @Override
    public NDArray apply(NDArray w, NDArray grad, NDArray[] state, Hyperparams h, long step, long count) {
        double decay = h.at(Hyperparameter.WEIGHT_DECAY, step);
        return decay == 0 ? grad : FusedOps.addScaled(grad, w, decay);
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long step, long count) {
        double decay = h.at(Hyperparameter.WEIGHT_DECAY, step);
        float d = (float) decay;
        return decay == 0 ? null : (w, g, state, n) -> Loops.addScaled(g, w, d, n);
    }
}
