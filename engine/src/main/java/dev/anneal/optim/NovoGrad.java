package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;

import java.util.List;

/**
 * NovoGrad (Ginsburg et al., 2019, "Stochastic Gradient Methods with Layer-wise Adaptive Moments
 * for Training of Deep Networks"), as Optax's {@code novograd} ({@code scale_by_novograd}, then
 * the learning rate) computes it, after {@link Maximize}, at the tensor's t-th update:
 *
 * <pre>
 * n = ||g||^2                               (of this tensor: one number per tensor)
 * v = t == 1 ? n : (1 - beta2) * n + beta2 * v
 * u = g / (sqrt(v + epsRoot) + eps) + weightDecay * w
 * m = t == 1 ? u : beta1 * m + u
 * w = w - lr * m
 * </pre>
 *
 * The second moment is one float32 number per tensor, so the rule needs the norm of each
 * gradient before it moves anything: a {@link Reduction} per tensor, folded in double and
 * rounded to float32 as a norm before it is squared (Optax squares {@code jnp.linalg.norm}).
 * The weight decay is inside the moment, as in the paper, not decoupled. Optax has no reference
 * on this machine, so the rounding is this file's: every product and sum rounded on its own, the
 * step as one multiply-add of {@code -lr}. Defaults are Optax's (betas 0.9 and 0.25, eps 1e-6,
 * epsRoot 0, no decay) and the paper's lr 0.01, which Optax leaves to the caller.
 */
public final class NovoGrad implements Stage {
    private static final NovoGrad RULE = new NovoGrad(Phase.DECLARED, 0f, 0f);

    /** Optax's {@code novograd}. */
    public static final Chain NOVOGRAD = Chain.builder("NovoGrad",
                    "NovoGrad as Optax's `novograd` computes it, with Optax's defaults and the paper's lr 0.01.")
            .stages(Maximize.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-2).value(Adam.BETA1, 0.9).value(Adam.BETA2, 0.25).value(Hyperparameter.EPS, 1e-6)
            .value(AdaBelief.EPS_ROOT, 0).value(Hyperparameter.WEIGHT_DECAY, 0).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    private static final Reduction NORM = new Reduction(Reduction.Fold.SUM_OF_SQUARES, Reduction.Scope.TENSOR);

    /** How far this stage is made for one update: a NaN gradient must give NaN weights, as Optax's would, not a refusal. */
    private enum Phase { DECLARED, REDUCED, BOUND }

    private final Phase phase;
    /** This step's squared gradient norm, once reduced, then the second moment it makes, once bound. */
    private final float normSquared;
    private final float v;

    private NovoGrad(Phase phase, float normSquared, float v) {
        this.phase = phase;
        this.normSquared = normSquared;
        this.v = v;
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Adam.BETA1, Adam.BETA2, Hyperparameter.EPS, AdaBelief.EPS_ROOT,
                Hyperparameter.WEIGHT_DECAY);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("exp_avg");
    }

    @Override
    public List<String> scalarNames(Hyperparams h) {
        return List.of("exp_avg_sq");
    }

    @Override
    public List<Reduction> reductions(Hyperparams h) {
        return List.of(NORM);
    }

    @Override
    public Stage reduced(Hyperparams h, long step, double[] totals) {
        float norm = (float) NORM.fold().norm(totals[0]);
        return new NovoGrad(Phase.REDUCED, norm * norm, 0f);
    }

    @Override
    public Stage forUpdate(float[] scalars, Hyperparams h, long step, long count) {
        if (phase != Phase.REDUCED) {
            throw new IllegalStateException("NovoGrad binds a tensor's second moment only once its gradient norm is known");
        }
        double beta2 = h.at(Adam.BETA2, step);
        scalars[0] = count == 1 ? normSquared : (float) (1 - beta2) * normSquared + (float) beta2 * scalars[0];
        return new NovoGrad(Phase.BOUND, normSquared, scalars[0]);
    }

    /** The denominator of this update, {@code sqrt(v + epsRoot) + eps}, in float32. */
    private float denominator(Hyperparams h, long t) {
        if (phase != Phase.BOUND) {
            throw new IllegalStateException("NovoGrad updates a tensor only as forUpdate binds it to its second moment");
        }
        return (float) Math.sqrt(v + (float) h.at(AdaBelief.EPS_ROOT, t)) + (float) h.at(Hyperparameter.EPS, t);
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        float denom = denominator(h, t);
        NDArray m = state[0];
        NDArray u = g.div(FusedOps.scalar(g, denom)).addi(w.mul(FusedOps.scalar(w, h.at(Hyperparameter.WEIGHT_DECAY, t))));
        if (count == 1) {
            m.set(new NDIndex("..."), u);
        } else {
            m.muli(FusedOps.scalar(m, h.at(Adam.BETA1, t))).addi(u);
        }
        FusedOps.addScaledInPlace(w, m, -h.at(Hyperparameter.LR, t));
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        float denom = denominator(h, t);
        float decay = (float) h.at(Hyperparameter.WEIGHT_DECAY, t);
        float b1 = (float) h.at(Adam.BETA1, t);
        float negLr = (float) -h.at(Hyperparameter.LR, t);
        boolean first = count == 1;
        return (w, g, state, n) -> {
            float[] m = state[0];
            for (int i = 0; i < n; i++) {
                float u = g[i] / denom + w[i] * decay;
                m[i] = first ? u : m[i] * b1 + u;
                w[i] = Math.fma(m[i], negLr, w[i]);
            }
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NovoGrad n && phase == n.phase && Float.compare(normSquared, n.normSquared) == 0
                && Float.compare(v, n.v) == 0;
    }

    @Override
    public int hashCode() {
        return (31 * phase.hashCode() + Float.hashCode(normSquared)) * 31 + Float.hashCode(v);
    }
}
