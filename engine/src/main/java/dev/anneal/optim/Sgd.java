package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.config.Checks;
import dev.anneal.grad.L2Decay;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;
import dev.anneal.internal.Loops;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * Stochastic gradient descent with momentum, dampening and Nesterov momentum (Sutskever et al.,
 * 2013, "On the importance of initialization and momentum in deep learning"), as
 * {@code torch.optim.SGD} computes it, after {@link Maximize} and {@link L2Decay}:
 *
 * <pre>
 * b = (first update) ? g : momentum * b + (1 - dampening) * g (when momentum != 0)
 * g = nesterov ? g + momentum * b : b                          (when momentum != 0)
 * w = w - lr * g
 * </pre>
 *
 * The buffer starts as the first gradient, without dampening, as in PyTorch. Nesterov needs a
 * positive momentum and zero dampening (PyTorch rejects it otherwise, and so do we). Defaults:
 * lr 1e-3 (PyTorch 2's), no momentum, no weight decay.
 */
public final class Sgd implements Stage {
    public static final Hyperparameter<Schedule> MOMENTUM = Hyperparameter.value("momentum",
            Hyperparameter.Range.NON_NEGATIVE, "The momentum factor; 0 turns momentum off.");
    public static final Hyperparameter<Schedule> DAMPENING = Hyperparameter.value("dampening",
            Hyperparameter.Range.CLOSED_UNIT_INTERVAL, "The dampening of the momentum buffer.");
    public static final Hyperparameter<Boolean> NESTEROV = Hyperparameter.flag("nesterov", "Nesterov momentum.");

    private static final Sgd RULE = new Sgd();

    /** {@code torch.optim.SGD}. */
    public static final Chain SGD = Chain.builder("Sgd",
                    "SGD as `torch.optim.SGD` computes it, with PyTorch's defaults: momentum with dampening, Nesterov and maximize.")
            .stages(Maximize.STAGE, L2Decay.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-3).value(MOMENTUM, 0).value(DAMPENING, 0).value(Hyperparameter.WEIGHT_DECAY, 0)
            .flag(NESTEROV, false).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    private Sgd() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, MOMENTUM, DAMPENING, NESTEROV);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return Schedule.isZero(h.get(MOMENTUM)) ? List.of() : List.of("momentum_buffer");
    }

    @Override
    public void check(Hyperparams h, Checks c) {
        if (h.flag(NESTEROV)) {
            Schedule momentum = h.get(MOMENTUM);
            Schedule dampening = h.get(DAMPENING);
            c.require(!Schedule.isZero(momentum) && Schedule.isZero(dampening), NESTEROV.name(),
                    "requires momentum > 0 and dampening == 0, got momentum " + momentum + " and dampening " + dampening);
        }
    }

    @Override
    public NDArray apply(NDArray w, NDArray grad, NDArray[] state, Hyperparams h, long t, long count) {
        double momentum = h.at(MOMENTUM, t);
        NDArray g = grad;
        if (momentum != 0) {
            NDArray buffer = state[0];
            if (count == 1) {
                g.copyTo(buffer);
            } else {
                FusedOps.addScaledInPlace(buffer.muli(FusedOps.scalar(buffer, momentum)), g, 1 - h.at(DAMPENING, t));
            }
            g = h.flag(NESTEROV) ? FusedOps.addScaled(g, buffer, momentum) : buffer;
        }
        FusedOps.addScaledInPlace(w, g, -h.at(Hyperparameter.LR, t));
        return grad;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        double momentumValue = h.at(MOMENTUM, t);
        boolean accumulates = momentumValue != 0;
        float momentum = (float) momentumValue;
        float keep = (float) (1 - h.at(DAMPENING, t));
        float negLr = (float) -h.at(Hyperparameter.LR, t);
        boolean nesterov = h.flag(NESTEROV);
        if (!accumulates) {
            return (w, g, state, n) -> Loops.addScaled(w, g, negLr, n);
        }
        if (count == 1) { // the buffer starts as the gradient, undamped
            return (w, g, state, n) -> {
                System.arraycopy(g, 0, state[0], 0, n);
                if (nesterov) {
                    Loops.addScaled(g, state[0], momentum, n);
                }
                Loops.addScaled(w, g, negLr, n);
            };
        }
        // One loop, rounding as the three of PyTorch's in-place calls do element by element: a
        // pass of its own for each went back to L2 for the block three times.
        return nesterov ? (w, g, state, n) -> {
            float[] buffer = state[0];
            for (int i = 0; i < n; i++) {
                float b = Math.fma(g[i], keep, buffer[i] * momentum);
                buffer[i] = b;
                w[i] = Math.fma(Math.fma(b, momentum, g[i]), negLr, w[i]);
            }
        } : (w, g, state, n) -> {
            float[] buffer = state[0];
            for (int i = 0; i < n; i++) {
                float b = Math.fma(g[i], keep, buffer[i] * momentum);
                buffer[i] = b;
                w[i] = Math.fma(b, negLr, w[i]);
            }
        };
    }
}
