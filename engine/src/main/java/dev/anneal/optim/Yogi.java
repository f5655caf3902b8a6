package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.config.Checks;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;
import dev.anneal.internal.Loops;

import java.util.List;

/**
 * Yogi (Zaheer et al., 2018, "Adaptive Methods for Nonconvex Optimization"), as Optax's
 * {@code yogi} ({@code scale_by_yogi}) computes it, after {@link Maximize}, at the tensor's t-th
 * update:
 *
 * <pre>
 * m = beta1 * m + (1 - beta1) * g
 * v = v - (1 - beta2) * sign(v - g^2) * g^2
 * w = w - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t) + epsRoot) + eps)
 * </pre>
 *
 * The second moment moves towards {@code g^2} by a fixed fraction of {@code g^2}, not of the
 * distance, so it grows slowly where Adam's would jump. Both moments start at the initial
 * accumulator value (a constant). Optax has no reference on this machine, so the rounding is
 * this file's: {@code m} as one multiply-add after the decay's product, the step as one
 * multiply-add of {@code -lr}, the root correctly rounded. Defaults are Optax's (betas 0.9 and
 * 0.999, eps 1e-3, epsRoot 0, initial accumulator 1e-6) and the paper's lr 0.01, which Optax
 * leaves to the caller.
 */
public final class Yogi implements Stage {
    private static final Yogi RULE = new Yogi();

    /** Optax's {@code yogi}. */
    public static final Chain YOGI = Chain.builder("Yogi",
                    "Yogi as Optax's `yogi` computes it, with Optax's defaults and the paper's lr 0.01.")
            .stages(Maximize.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-2).value(Adam.BETA1, 0.9).value(Adam.BETA2, 0.999).value(Hyperparameter.EPS, 1e-3)
            .value(AdaBelief.EPS_ROOT, 0).value(Adagrad.INITIAL_ACCUMULATOR_VALUE, 1e-6).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    private Yogi() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Adam.BETA1, Adam.BETA2, Hyperparameter.EPS, AdaBelief.EPS_ROOT,
                Adagrad.INITIAL_ACCUMULATOR_VALUE);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    public double startsAt(String name, Hyperparams h) {
        return h.start(Adagrad.INITIAL_ACCUMULATOR_VALUE);
    }

    @Override
    public void check(Hyperparams h, Checks c) {
        h.requireConstant(Adagrad.INITIAL_ACCUMULATOR_VALUE, c, "both moments");
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        double beta1 = h.at(Adam.BETA1, t);
        double beta2 = h.at(Adam.BETA2, t);
        NDArray m = state[0];
        NDArray v = state[1];
        FusedOps.addScaledInPlace(m.muli(FusedOps.scalar(m, beta1)), g, 1 - beta1);
        NDArray square = g.mul(g);
        v.subi(v.sub(square).sign().muli(FusedOps.scalar(v, 1 - beta2)).muli(square));
        NDArray denom = FusedOps.sqrt(v.div(FusedOps.scalar(v, 1 - Math.pow(beta2, count)))
                        .addi(FusedOps.scalar(v, h.at(AdaBelief.EPS_ROOT, t))))
                .addi(FusedOps.scalar(v, h.at(Hyperparameter.EPS, t)));
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
        float oneMinusB2 = (float) (1 - beta2);
        float epsRoot = (float) h.at(AdaBelief.EPS_ROOT, t);
        float bias1 = (float) (1 - Math.pow(beta1, count));
        float bias2 = (float) (1 - Math.pow(beta2, count));
        float eps = (float) h.at(Hyperparameter.EPS, t);
        float negLr = (float) -h.at(Hyperparameter.LR, t);
        return (w, g, state, n) -> {
            float[] m = state[0];
            float[] v = state[1];
            for (int i = 0; i < n; i++) {
                m[i] = Math.fma(g[i], oneMinusB1, m[i] * b1);
                float square = g[i] * g[i];
                v[i] = v[i] - (Loops.sign(v[i] - square) * oneMinusB2) * square;
                float update = (m[i] / bias1) / ((float) Math.sqrt(v[i] / bias2 + epsRoot) + eps);
                w[i] = Math.fma(update, negLr, w[i]);
            }
        };
    }
}
