package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.grad.DecoupledDecay;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * AdaBelief (Zhuang et al., 2020, "AdaBelief Optimizer: Adapting Stepsizes by the Belief in
 * Observed Gradients"), as Optax's {@code adabelief} ({@code scale_by_belief}) computes it, after
 * {@link Maximize} and {@link DecoupledDecay}, at the tensor's t-th update:
 *
 * <pre>
 * m = beta1 * m + (1 - beta1) * g
 * s = beta2 * s + (1 - beta2) * (g - m)^2 + epsRoot
 * w = w - lr * (m / (1 - beta1^t)) / (sqrt(s / (1 - beta2^t)) + eps)
 * </pre>
 *
 * The belief is the new {@code m}'s distance from the gradient. Optax has no reference on this
 * machine, so the rounding is this file's: each update of a moment as one multiply-add after the
 * decay's product, the step as one multiply-add of {@code -lr}, the root correctly rounded.
 * Optax's weight decay is decoupled ({@code add_decayed_weights} before the learning rate), so it
 * is here. Defaults are Optax's (betas 0.9 and 0.999, eps 1e-16, epsRoot 1e-16, no decay) and
 * the paper's lr 1e-3, which Optax leaves to the caller.
 */
public final class AdaBelief implements Stage {
    public static final Hyperparameter<Schedule> EPS_ROOT = Hyperparameter.value("epsRoot",
            Hyperparameter.Range.NON_NEGATIVE, "Added to the second moment before its root (Optax's eps_root).");
    private static final AdaBelief RULE = new AdaBelief();

    /** Optax's {@code adabelief}. */
    public static final Chain ADABELIEF = Chain.builder("AdaBelief",
                    "AdaBelief as Optax's `adabelief` computes it, with Optax's defaults and the paper's lr 1e-3.")
            .stages(Maximize.STAGE, DecoupledDecay.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-3).value(Adam.BETA1, 0.9).value(Adam.BETA2, 0.999).value(Hyperparameter.EPS, 1e-16)
            .value(EPS_ROOT, 1e-16).value(Hyperparameter.WEIGHT_DECAY, 0).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    private AdaBelief() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Adam.BETA1, Adam.BETA2, Hyperparameter.EPS, EPS_ROOT);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("exp_avg", "exp_avg_var");
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        double beta1 = h.at(Adam.BETA1, t);
        double beta2 = h.at(Adam.BETA2, t);
        NDArray m = state[0];
        NDArray s = state[1];
        FusedOps.addScaledInPlace(m.muli(FusedOps.scalar(m, beta1)), g, 1 - beta1);
        NDArray belief = g.sub(m);
        FusedOps.addProductInPlace(s.muli(FusedOps.scalar(s, beta2)), belief, belief, 1 - beta2);
        s.addi(FusedOps.scalar(s, h.at(EPS_ROOT, t)));
        NDArray denom = FusedOps.sqrt(s.div(FusedOps.scalar(s, 1 - Math.pow(beta2, count))))
                .addi(FusedOps.scalar(s, h.at(Hyperparameter.EPS, t)));
        NDArray update = m.div(FusedOps.scalar(m, 1 - Math.pow(beta1, count))).divi(denom);
        FusedOps.addScaledInPlace(w, update, -h.at(Hyperparameter.LR, t));
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        double beta1 = h.at(Adam.BETA1, t);
        double beta2 = h.at(Adam.BETA2, t);
        float b1 = (float) beta1;
        float oneMinusB1 = (float) (1 - beta1);
        float b2 = (float) beta2;
        float oneMinusB2 = (float) (1 - beta2);
        float epsRoot = (float) h.at(EPS_ROOT, t);
        float bias1 = (float) (1 - Math.pow(beta1, count));
        float bias2 = (float) (1 - Math.pow(beta2, count));
        float eps = (float) h.at(Hyperparameter.EPS, t);
        float negLr = (float) -h.at(Hyperparameter.LR, t);
        return (w, g, state, n) -> {
            float[] m = state[0];
            float[] s = state[1];
            for (int i = 0; i < n; i++) {
                m[i] = Math.fma(g[i], oneMinusB1, m[i] * b1);
                float belief = g[i] - m[i];
                s[i] = Math.fma(oneMinusB2 * belief, belief, s[i] * b2) + epsRoot;
                float update = (m[i] / bias1) / ((float) Math.sqrt(s[i] / bias2) + eps);
                w[i] = Math.fma(update, negLr, w[i]);
            }
        };
    }
}
