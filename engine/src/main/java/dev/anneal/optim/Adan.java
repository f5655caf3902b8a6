package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * Adan (Xie et al., 2022, "Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep
 * Models"), as Optax's {@code adan} ({@code scale_by_adan}, {@code add_decayed_weights}) computes
 * it, at the tensor's t-th update, with {@code d = g - g_prev} (0 at the first update):
 *
 * <pre>
 * m = beta1 * m + (1 - beta1) * g
 * v = beta2 * v + (1 - beta2) * d
 * n = beta3 * n + (1 - beta3) * (g + (1 - beta2) * d)^2
 * u = (m / (1 - beta1^t) + (1 - beta2) * v / (1 - beta2^t)) / (sqrt(n / (1 - beta3^t) + epsRoot) + eps)
 * w = w - lr * (u + weightDecay * w)
 * </pre>
 *
 * The difference of successive gradients estimates Nesterov's look-ahead without a second
 * gradient; the previous gradient is state. The betas are Optax's (the weight of the old value,
 * so 0.98 where the paper writes 0.02). No JAX is here, so the rounding is this file's: each
 * moment one multiply-add after the decay's product, the sums of {@code (1 - beta2)} terms one
 * multiply-add each, the decay and the step one multiply-add each, the root correctly rounded.
 * Defaults are Optax's (betas 0.98, 0.92 and 0.99, eps and epsRoot 1e-8, no weight decay); the
 * learning rate has none there and none here.
 */
public final class Adan implements Stage {
    public static final Hyperparameter<Schedule> BETA3 = Hyperparameter.value("beta3",
            Hyperparameter.Range.UNIT_INTERVAL, "The decay of the squared look-ahead gradient's average.");
    private static final Adan RULE = new Adan();

    /** Optax's {@code adan}. */
    public static final Chain ADAN = Chain.builder("Adan",
                    "Adan as Optax's `adan` computes it, with Optax's defaults; the learning rate is required.")
            .stages(RULE)
            .required(Hyperparameter.LR).value(Adam.BETA1, 0.98).value(Adam.BETA2, 0.92).value(BETA3, 0.99)
            .value(Hyperparameter.EPS, 1e-8).value(AdaBelief.EPS_ROOT, 1e-8).value(Hyperparameter.WEIGHT_DECAY, 0)
            .build();

    private Adan() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Adam.BETA1, Adam.BETA2, BETA3, Hyperparameter.EPS, AdaBelief.EPS_ROOT,
                Hyperparameter.WEIGHT_DECAY);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("exp_avg", "exp_avg_diff", "exp_avg_sq", "prev_grad");
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        double beta1 = h.at(Adam.BETA1, t);
        double beta2 = h.at(Adam.BETA2, t);
        double beta3 = h.at(BETA3, t);
        NDArray m = state[0];
        NDArray v = state[1];
        NDArray n = state[2];
        NDArray prev = state[3];
        NDArray diff = count == 1 ? g.zerosLike() : g.sub(prev);
        FusedOps.addScaledInPlace(m.muli(FusedOps.scalar(m, beta1)), g, 1 - beta1);
        FusedOps.addScaledInPlace(v.muli(FusedOps.scalar(v, beta2)), diff, 1 - beta2);
        NDArray ahead = FusedOps.addScaled(g, diff, 1 - beta2);
        FusedOps.addProductInPlace(n.muli(FusedOps.scalar(n, beta3)), ahead, ahead, 1 - beta3);
        NDArray update = FusedOps.addScaled(m.div(FusedOps.scalar(m, 1 - Math.pow(beta1, count))),
                v.div(FusedOps.scalar(v, 1 - Math.pow(beta2, count))), 1 - beta2);
        NDArray denom = FusedOps.sqrt(n.div(FusedOps.scalar(n, 1 - Math.pow(beta3, count)))
                        .addi(FusedOps.scalar(n, h.at(AdaBelief.EPS_ROOT, t))))
                .addi(FusedOps.scalar(n, h.at(Hyperparameter.EPS, t)));
        update.divi(denom);
        FusedOps.addScaledInPlace(update, w, h.at(Hyperparameter.WEIGHT_DECAY, t));
        FusedOps.addScaledInPlace(w, update, -h.at(Hyperparameter.LR, t));
        prev.set(new NDIndex("..."), g);
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        double beta1 = h.at(Adam.BETA1, t);
        double beta2 = h.at(Adam.BETA2, t);
        double beta3 = h.at(BETA3, t);
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float b3 = (float) beta3;
        float oneMinusB1 = (float) (1 - beta1);
        float oneMinusB2 = (float) (1 - beta2);
        float oneMinusB3 = (float) (1 - beta3);
        float bias1 = (float) (1 - Math.pow(beta1, count));
        float bias2 = (float) (1 - Math.pow(beta2, count));
        float bias3 = (float) (1 - Math.pow(beta3, count));
        float epsRoot = (float) h.at(AdaBelief.EPS_ROOT, t);
        float eps = (float) h.at(Hyperparameter.EPS, t);
        float decay = (float) h.at(Hyperparameter.WEIGHT_DECAY, t);
        float negLr = (float) -h.at(Hyperparameter.LR, t);
        boolean first = count == 1;
        return (w, g, state, size) -> {
            float[] m = state[0];
            float[] v = state[1];
            float[] n = state[2];
            float[] prev = state[3];
            for (int i = 0; i < size; i++) {
                float diff = first ? 0f : g[i] - prev[i];
                m[i] = Math.fma(g[i], oneMinusB1, m[i] * b1);
                v[i] = Math.fma(diff, oneMinusB2, v[i] * b2);
                float ahead = Math.fma(diff, oneMinusB2, g[i]);
                n[i] = Math.fma(oneMinusB3 * ahead, ahead, n[i] * b3);
                float update = Math.fma(v[i] / bias2, oneMinusB2, m[i] / bias1)
                        / ((float) Math.sqrt(n[i] / bias3 + epsRoot) + eps);
                w[i] = Math.fma(Math.fma(w[i], decay, update), negLr, w[i]);
                prev[i] = g[i];
            }
        };
    }
}
