package dev.anneal.grad;

import ai.djl.ndarray.NDArray;
import dev.anneal.internal.FusedOps;
import dev.anneal.optim.ElementKernel;
import dev.anneal.optim.Hyperparameter;
import dev.anneal.optim.Hyperparams;
import dev.anneal.optim.Stage;

import java.util.List;

/**
 * MindSpore's {@code decay_weight} on a gradient that still carries the loss scale
 * ({@code nn/optim/optimizer.py}): {@code g = g + w * (weightDecay * lossScale)}, a multiply and an
 * add each rounded, the factor stored in float32, so that the decay survives {@link Unscale}.
 */
public final class ScaledL2Decay implements Stage {
    public static final ScaledL2Decay STAGE = new ScaledL2Decay();

    private ScaledL2Decay() {
    }

    @Override
    public Kind kind() {
        return Kind.GRADIENT;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.WEIGHT_DECAY, Unscale.LOSS_SCALE);
    }

    @Override
    public NDArray apply(NDArray w, NDArray grad, NDArray[] state, Hyperparams h, long step, long count) {
        double decay = h.at(Hyperparameter.WEIGHT_DECAY, step);
        return decay == 0 ? grad : grad.add(w.mul(FusedOps.scalar(w, decay * h.at(Unscale.LOSS_SCALE, step))));
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long step, long count) {
        double decay = h.at(Hyperparameter.WEIGHT_DECAY, step);
        float factor = (float) (decay * h.at(Unscale.LOSS_SCALE, step));
        return decay == 0 ? null : (w, g, state, n) -> {
            for (int i = 0; i < n; i++) {
                g[i] = g[i] + w[i] * factor;
            }
        };
    }
}
