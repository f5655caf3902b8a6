package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.grad.L2Decay;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * Averaged SGD (Polyak and Juditsky, 1992, "Acceleration of Stochastic Approximation by
 * Averaging"), as {@code torch.optim.ASGD} computes it ({@code _single_tensor_asgd}), after
 * {@link Maximize} and {@link L2Decay}, at the tensor's t-th update:
 *
 * <pre>
 * w   = w * (1 - lambd * eta)
 * w   = w - eta * g
 * ax  = mu == 1 ? w : ax + (w - ax) * mu
 * eta = lr / (1 + lambd * lr * t)^alpha;   mu = 1 / max(1, t - t0)
 * </pre>
 *
 * {@code eta} and {@code mu} are kept per tensor in float32, as PyTorch keeps them: {@code eta}
 * starts at the learning rate of the tensor's first update and {@code mu} at 1, so each update
 * uses the values the one before it left: the average {@code ax} copies the weights through
 * update {@code t0 + 2} (the first {@code mu} below 1 comes after update {@code t0 + 2}) and
 * averages from the next. The average is a {@link WeightAverage}: {@link Optimizer#swapAverages()}
 * puts it into the model, and validation reports it as {@code ax.*}. Defaults are PyTorch's: lr
 * 0.01, lambd 1e-4, alpha 0.75, t0 1e6, no weight decay.
 */
public final class Asgd implements WeightAverage {
    public static final Hyperparameter<Schedule> LAMBD = Hyperparameter.value("lambd", Hyperparameter.Range.NON_NEGATIVE,
            "The decay term: the weights shrink by lambd * eta each update.");
    public static final Hyperparameter<Schedule> ALPHA = Hyperparameter.value("alpha", Hyperparameter.Range.NON_NEGATIVE,
            "The power by which eta decays with the update count.");
    public static final Hyperparameter<Schedule> T0 = Hyperparameter.value("t0", Hyperparameter.Range.NON_NEGATIVE,
            "The update after which the average starts (before it, the average follows the weights).");
    private static final Asgd RULE = new Asgd(Float.NaN, Float.NaN);

    /** {@code torch.optim.ASGD}. */
    public static final Chain ASGD = Chain.builder("Asgd",
                    "Averaged SGD as `torch.optim.ASGD` computes it, with PyTorch's defaults and maximize.")
            .stages(Maximize.STAGE, L2Decay.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-2).value(LAMBD, 1e-4).value(ALPHA, 0.75).value(T0, 1e6)
            .value(Hyperparameter.WEIGHT_DECAY, 0).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    /** The step size and the averaging factor this update uses; NaN in the chain's unbound rule. */
    private final float eta;
    private final float mu;

    private Asgd(float eta, float mu) {
        this.eta = eta;
        this.mu = mu;
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public String name() {
        return "ax";
    }

    @Override
    public boolean started(long updates) {
        return updates > 0;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, LAMBD, ALPHA, T0);
    }

    @Override
    public List<String> scalarNames(Hyperparams h) {
        return List.of("eta", "mu");
    }

    /** {@code eta} is set at the first update; {@code mu} starts at 1. */
    @Override
    public double startsAt(String name, Hyperparams h) {
        return "mu".equals(name) ? 1 : 0;
    }

    @Override
    public Stage forUpdate(float[] scalars, Hyperparams h, long step, long count) {
        double lr = h.at(Hyperparameter.LR, step);
        if (count == 1) {
            scalars[0] = (float) lr;
            scalars[1] = 1f;
        }
        Asgd bound = new Asgd(scalars[0], scalars[1]);
        scalars[0] = (float) (lr / Math.pow(1 + h.at(LAMBD, step) * lr * count, h.at(ALPHA, step)));
        scalars[1] = (float) (1 / Math.max(1, count - h.at(T0, step)));
        return bound;
    }

    /** The factor the weights shrink by, in double as PyTorch's Python computes it. */
    private double shrink(Hyperparams h, long t) {
        if (Float.isNaN(eta)) {
            throw new IllegalStateException("ASGD updates a tensor only as forUpdate binds it to its eta and mu");
        }
        return 1 - h.at(LAMBD, t) * eta;
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        w.muli(FusedOps.scalar(w, shrink(h, t)));
        FusedOps.addScaledInPlace(w, g, -eta);
        NDArray ax = state[0];
        if (mu == 1f) {
            WeightAverage.copyWeights(w, ax);
        } else {
            ax.addi(w.sub(ax).muli(FusedOps.scalar(ax, mu)));
        }
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        float shrink = (float) shrink(h, t);
        float negEta = -eta;
        float factor = mu;
        ElementKernel step = (w, g, state, n) -> {
            for (int i = 0; i < n; i++) {
                w[i] = Math.fma(g[i], negEta, w[i] * shrink);
            }
        };
        if (factor == 1f) {
            return (w, g, state, n) -> {
                step.apply(w, g, state, n);
                COPY_WEIGHTS.apply(w, g, state, n);
            };
        }
        return (w, g, state, n) -> {
            float[] ax = state[0];
            for (int i = 0; i < n; i++) {
                w[i] = Math.fma(g[i], negEta, w[i] * shrink);
                ax[i] = ax[i] + (w[i] - ax[i]) * factor;
            }
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Asgd other && Float.compare(eta, other.eta) == 0 && Float.compare(mu, other.mu) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * Float.hashCode(eta) + Float.hashCode(mu);
    }
}
