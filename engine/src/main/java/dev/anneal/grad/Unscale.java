package dev.anneal.grad;

import ai.djl.ndarray.NDArray;
import dev.anneal.optim.ElementKernel;
import dev.anneal.optim.Hyperparameter;
import dev.anneal.optim.Hyperparams;
import dev.anneal.optim.Stage;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * Divides out a static loss scale, as MindSpore's optimizers' {@code scale_grad} does
 * ({@code nn/optim/optimizer.py}): {@code g = g * (1 / lossScale)}, the reciprocal rounded to
 * float32, and only when the scale is not 1.
 */
public final class Unscale implements Stage {
    /** The static loss scale the gradients carry. */
    public static final Hyperparameter<Schedule> LOSS_SCALE = Hyperparameter.value("lossScale",
            Hyperparameter.Range.POSITIVE, "The static loss scale the gradients carry; they are divided by it before the update.");
    public static final Unscale STAGE = new Unscale();

    private Unscale() {
    }

    @Override
    public Kind kind() {
        return Kind.GRADIENT;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(LOSS_SCALE);
    }

    @Override
    public NDArray apply(NDArray w, NDArray grad, NDArray[] state, Hyperparams h, long step, long count) {
        return unscaling(h, step).apply(w, grad, state, h, step, count);
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long step, long count) {
        return unscaling(h, step).kernel(h, step, count);
    }

    private static ScaleGradients unscaling(Hyperparams h, long step) {
        return new ScaleGradients((float) (1 / h.at(LOSS_SCALE, step)));
    }
}
