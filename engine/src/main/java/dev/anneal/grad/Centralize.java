package dev.anneal.grad;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.anneal.optim.ElementKernel;
import dev.anneal.optim.Hyperparameter;
import dev.anneal.optim.Hyperparams;
import dev.anneal.optim.Stage;
import dev.anneal.param.Param;
import dev.anneal.param.Selector;

import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * Gradient centralization (Yong et al. 2020; MindSpore's {@code grad_centralization} group key):
 * each row of a gradient of rank above one, that is each slice along the first dimension, loses
 * its mean over every other dimension:
 *
 * <pre>
 * mean_r = (float) ((sum_j (double) g_rj) / rowLength)
 * g_rj   = g_rj - mean_r                               (float32)
 * </pre>
 *
 * The sum is taken in double so the result does not hang on the order of the additions. It acts
 * on the gradient the update rule sees, after the optimizer's own L2 decay, as MindSpore orders
 * them, and only on the parameters {@code on} selects; one-dimensional ones (biases, norms) are
 * never centralized, since they would lose their whole gradient. On the fused path each kernel
 * call holds exactly one row ({@link Stage#wholeRows}).
 *
 * @param on the parameters it may centralize
 */
public record Centralize(Selector on) implements Stage {
    /**
     * Set by the optimizer for each parameter: whether {@code on} selects it and it has more than
     * one dimension. MindSpore's group key, whose name it keeps.
     */
    public static final Hyperparameter<Boolean> ACTIVE = Hyperparameter.flag("gradCentralization",
            "Whether this parameter's gradient is centralized (set from the selector and its rank).");

    public Centralize {
        Objects.requireNonNull(on, "on");
    }

    @Override
    public Kind kind() {
        return Kind.GRADIENT;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(ACTIVE);
    }

    @Override
    public boolean nextToRule() {
        return true;
    }

    @Override
    public Hyperparams forParameter(Param p, Hyperparams h) {
        return h.with(ACTIVE, p.shape().dimension() > 1 && on.matches(p));
    }

    @Override
    public boolean wholeRows(Hyperparams h) {
        return h.flag(ACTIVE);
    }

    @Override
    public NDArray apply(NDArray w, NDArray grad, NDArray[] state, Hyperparams h, long step, long count) {
        // Only tensors of two or more dimensions are ACTIVE (forParameter).
        if (!h.flag(ACTIVE) || grad.size() == 0) {
            return grad;
        }
        long rowLength = grad.getShape().size() / grad.getShape().get(0);
        int[] rest = IntStream.range(1, grad.getShape().dimension()).toArray();
        NDArray mean = grad.toType(DataType.FLOAT64, false).sum(rest, true).div(rowLength)
                .toType(grad.getDataType(), false);
        return grad.sub(mean);
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long step, long count) {
        return h.flag(ACTIVE) ? (w, g, state, n) -> {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += g[i];
            }
            float mean = (float) (sum / n);
            for (int i = 0; i < n; i++) {
                g[i] = g[i] - mean;
            }
        } : null;
    }
}
