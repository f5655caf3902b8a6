package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.grad.DecoupledDecay;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;
import dev.anneal.internal.Loops;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * Lion, EvoLved Sign Momentum (Chen et al., 2023, "Symbolic Discovery of Optimization
 * Algorithms", Algorithm 2), after {@link Maximize} and {@link DecoupledDecay}
 * ({@code w = w * (1 - lr * weightDecay)}):
 *
 * <pre>
 * c = beta1 * m + (1 - beta1) * g
 * w = w - lr * sign(c)
 * m = beta2 * m + (1 - beta2) * g               (m starts at zero)
 * </pre>
 *
 * Defaults are the paper's: lr 1e-4, betas (0.9, 0.99), no weight decay. Each line rounds as the
 * PyTorch operations {@code m.mul(beta1).add_(g, alpha=1-beta1)},
 * {@code w.add_(c.sign(), alpha=-lr)} and {@code m.mul_(beta2).add_(g, alpha=1-beta2)} do, which
 * {@code tools/golden/generate.py} writes out as the reference.
 */
public final class Lion implements Stage {
    public static final Hyperparameter<Schedule> BETA1 = Hyperparameter.value("beta1",
            Hyperparameter.Range.UNIT_INTERVAL, "How much of the momentum the update's sign is taken over.");
    public static final Hyperparameter<Schedule> BETA2 = Hyperparameter.value("beta2",
            Hyperparameter.Range.UNIT_INTERVAL, "The momentum's decay.");

    private static final Lion RULE = new Lion();

    /** Lion with decoupled weight decay. */
    public static final Chain LION = Chain.builder("Lion",
                    "Lion (Chen et al. 2023): the sign of an interpolated momentum, with decoupled weight decay; "
                            + "the paper's defaults.")
            .stages(Maximize.STAGE, DecoupledDecay.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-4).value(BETA1, 0.9).value(BETA2, 0.99).value(Hyperparameter.WEIGHT_DECAY, 0)
            .flag(Hyperparameter.MAXIMIZE, false)
            .build();

    private Lion() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, BETA1, BETA2);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("exp_avg");
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        double beta1 = h.at(BETA1, t);
        double beta2 = h.at(BETA2, t);
        NDArray m = state[0];
        NDArray direction = FusedOps.addScaled(m.mul(FusedOps.scalar(m, beta1)), g, 1 - beta1).sign();
        FusedOps.addScaledInPlace(w, direction, -h.at(Hyperparameter.LR, t));
        FusedOps.addScaledInPlace(m.muli(FusedOps.scalar(m, beta2)), g, 1 - beta2);
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        double beta1 = h.at(BETA1, t);
        double beta2 = h.at(BETA2, t);
        float b1 = (float) beta1;
        float oneMinusB1 = (float) (1 - beta1);
        float b2 = (float) beta2;
        float oneMinusB2 = (float) (1 - beta2);
        float negLr = (float) -h.at(Hyperparameter.LR, t);
        return (w, g, state, n) -> {
            float[] m = state[0];
            for (int i = 0; i < n; i++) {
                float c = Math.fma(g[i], oneMinusB1, m[i] * b1);
                w[i] = Math.fma(Loops.sign(c), negLr, w[i]);
                m[i] = Math.fma(g[i], oneMinusB2, m[i] * b2);
            }
        };
    }
}
