package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import dev.anneal.internal.FusedOps;

import java.util.List;

/**
 * LAMB (You et al., 2020, "Large Batch Optimization for Deep Learning: Training BERT in 76
 * Minutes"), as MindSpore's {@code nn.Lamb} computes it, at the tensor's t-th update:
 *
 * <pre>
 * m     = beta1 * m + (1 - beta1) * g
 * v     = beta2 * v + (1 - beta2) * g^2
 * mh    = m / (1 - beta1^t);   vh = v / (1 - beta2^t)
 * ratio = ||w|| > 0 and ||g|| > 0 ? ||w|| / ||mh * rsqrt(vh + eps) + weightDecay * w|| : 1
 * w     = w - (clip(ratio, 0, 10) * lr) * (mh / (sqrt(vh) + eps) + weightDecay * w)
 * </pre>
 *
 * MindSpore puts eps inside the root for the trust ratio's norm and outside it for the update,
 * and this follows it. The three norms are per tensor, taken before anything moves: a
 * {@link Reduction} of the weights, of the gradients, and of what {@link #measure} computes, the
 * new moments' update, folded in double and rounded to float32. So the fused path reads the
 * moments twice, once for the norm and once for the update. MindSpore decays every parameter
 * whose name has neither {@code beta} nor {@code gamma} when no groups are given; in Anneal a
 * group without decay sets {@code weightDecay} to 0, which leaves it out of the norm too, as
 * MindSpore's {@code Lamb} kernel does for such a parameter. The count is the tensor's own
 * (MindSpore's global step, for a parameter updated every step). MindSpore has no reference on
 * this machine, so the rounding is that of its operations written out one by one: every product,
 * quotient and sum rounded on its own, the root correctly rounded, rsqrt as one over the root.
 * Scalars and norms are float32, as in MindSpore, also for float64 parameters. Defaults are
 * MindSpore's (betas 0.9 and 0.999, eps 1e-6, no decay); like MindSpore, it has no default
 * learning rate.
 */
public final class Lamb implements Stage {
    private static final Lamb RULE = new Lamb(false, 0f);

    /** MindSpore's {@code nn.Lamb}. */
    public static final Chain LAMB = Chain.builder("Lamb",
                    "LAMB as MindSpore's `nn.Lamb` computes it (its eps placement, the trust ratio clipped to 10), with MindSpore's defaults.")
            .stages(RULE)
            .required(Hyperparameter.LR).value(Adam.BETA1, 0.9).value(Adam.BETA2, 0.999).value(Hyperparameter.EPS, 1e-6)
            .value(Hyperparameter.WEIGHT_DECAY, 0)
            .build();

    private static final List<Reduction> NORMS = List.of(
            new Reduction(Reduction.Fold.SUM_OF_SQUARES, Reduction.Scope.TENSOR, Reduction.Measure.WEIGHT),
            new Reduction(Reduction.Fold.SUM_OF_SQUARES, Reduction.Scope.TENSOR, Reduction.Measure.GRADIENT),
            new Reduction(Reduction.Fold.SUM_OF_SQUARES, Reduction.Scope.TENSOR, Reduction.Measure.STAGE));

    /** Whether the reductions made this stage, and the trust ratio they gave, clipped (NaN from a NaN norm, as MindSpore's). */
    private final boolean reduced;
    private final float ratio;

    private Lamb(boolean reduced, float ratio) {
        this.reduced = reduced;
        this.ratio = ratio;
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Adam.BETA1, Adam.BETA2, Hyperparameter.EPS, Hyperparameter.WEIGHT_DECAY);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    public List<Reduction> reductions(Hyperparams h) {
        return NORMS;
    }

    @Override
    public Stage reduced(Hyperparams h, long step, double[] totals) {
        float weightNorm = (float) Math.sqrt(totals[0]);
        float gradNorm = (float) Math.sqrt(totals[1]);
        float updateNorm = (float) Math.sqrt(totals[2]);
        float ratio = weightNorm > 0 && gradNorm > 0 ? weightNorm / updateNorm : 1f;
        return new Lamb(true, Math.min(Math.max(ratio, 0f), 10f));
    }

    /** The scalars of one update, rounded to float32 once. */
    private record Scalars(float b1, float oneMinusB1, float b2, float oneMinusB2, float bias1, float bias2, float eps,
                           float decay) {
        static Scalars of(Hyperparams h, long t, long count) {
            double beta1 = h.at(Adam.BETA1, t);
            double beta2 = h.at(Adam.BETA2, t);
            return new Scalars((float) beta1, (float) (1 - beta1), (float) beta2, (float) (1 - beta2),
                    (float) (1 - Math.pow(beta1, count)), (float) (1 - Math.pow(beta2, count)),
                    (float) h.at(Hyperparameter.EPS, t), (float) h.at(Hyperparameter.WEIGHT_DECAY, t));
        }
    }

    /** The new moments, bias-corrected: {@code {mh, vh}}; {@code m} and {@code v} move only when {@code inPlace}. */
    private static NDArray[] corrected(NDArray g, NDArray m, NDArray v, Scalars s, boolean inPlace) {
        NDArray mNew = (inPlace ? m.muli(s.b1) : m.mul(s.b1)).addi(g.mul(s.oneMinusB1));
        NDArray vNew = (inPlace ? v.muli(s.b2) : v.mul(s.b2)).addi(g.mul(g).muli(s.oneMinusB2));
        return new NDArray[] {mNew.div(s.bias1), vNew.div(s.bias2)};
    }

    @Override
    public NDArray measure(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count, int which) {
        Scalars s = Scalars.of(h, t, count);
        NDArray[] c = corrected(g, state[0], state[1], s, false);
        NDArray rsqrt = NDArrays.div(FusedOps.scalar(c[1], 1), FusedOps.sqrt(c[1].add(s.eps)));
        return c[0].mul(rsqrt).addi(w.mul(s.decay));
    }

    @Override
    public ElementKernel measure(Hyperparams h, long t, long count, int which) {
        Scalars s = Scalars.of(h, t, count);
        return (w, g, state, n) -> {
            float[] m = state[0];
            float[] v = state[1];
            for (int i = 0; i < n; i++) {
                float mh = (m[i] * s.b1 + g[i] * s.oneMinusB1) / s.bias1;
                float vh = (v[i] * s.b2 + (g[i] * g[i]) * s.oneMinusB2) / s.bias2;
                g[i] = mh * (1f / (float) Math.sqrt(vh + s.eps)) + w[i] * s.decay;
            }
        };
    }

    /** The step size of this update, {@code ratio * lr} in float32. */
    private float stepSize(Hyperparams h, long t) {
        if (!reduced) {
            throw new IllegalStateException("LAMB updates a tensor only once its trust ratio is known");
        }
        return ratio * (float) h.at(Hyperparameter.LR, t);
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        float size = stepSize(h, t);
        Scalars s = Scalars.of(h, t, count);
        NDArray[] c = corrected(g, state[0], state[1], s, true);
        NDArray update = c[0].div(FusedOps.sqrt(c[1]).addi(s.eps)).addi(w.mul(s.decay));
        w.subi(update.muli(size));
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        float size = stepSize(h, t);
        Scalars s = Scalars.of(h, t, count);
        return (w, g, state, n) -> {
            float[] m = state[0];
            float[] v = state[1];
            for (int i = 0; i < n; i++) {
                m[i] = m[i] * s.b1 + g[i] * s.oneMinusB1;
                v[i] = v[i] * s.b2 + (g[i] * g[i]) * s.oneMinusB2;
                float update = (m[i] / s.bias1) / ((float) Math.sqrt(v[i] / s.bias2) + s.eps) + w[i] * s.decay;
                w[i] = w[i] - size * update;
            }
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Lamb l && reduced == l.reduced && Float.compare(ratio, l.ratio) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * Boolean.hashCode(reduced) + Float.hashCode(ratio);
    }
}
