package dev.anneal.grad;

import ai.djl.ndarray.NDArray;
import dev.anneal.optim.ElementKernel;
import dev.anneal.optim.Hyperparameter;
import dev.anneal.optim.Hyperparams;
import dev.anneal.optim.Stage;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * Clipping each gradient element into {@code [-clipValue, clipValue]}, as
 * {@code torch.nn.utils.clip_grad_value_} does ({@code g.clamp_(min=-clip_value, max=clip_value)});
 * a NaN stays NaN.
 */
public final class ClipGradValue implements Stage {
    /** The largest magnitude a gradient element keeps. */
    public static final Hyperparameter<Schedule> CLIP_VALUE = Hyperparameter.value("clipValue",
            Hyperparameter.Range.NON_NEGATIVE, "The largest magnitude a gradient element keeps.");
    public static final ClipGradValue STAGE = new ClipGradValue();

    private ClipGradValue() {
    }

    @Override
    public Kind kind() {
        return Kind.GRADIENT;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(CLIP_VALUE);
    }

    @Override
    public NDArray apply(NDArray w, NDArray grad, NDArray[] state, Hyperparams h, long step, long count) {
        float c = (float) h.at(CLIP_VALUE, step);
        return grad.clip(-c, c);
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long step, long count) {
        float c = (float) h.at(CLIP_VALUE, step);
        return (w, g, state, n) -> {
            for (int i = 0; i < n; i++) {
                g[i] = Math.min(Math.max(g[i], -c), c);
            }
        };
    }
}
