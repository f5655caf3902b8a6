package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.anneal.config.Checks;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * Prodigy (Mishchenko and Defazio, 2023, "Prodigy: An Expeditiously Adaptive Parameter-Free
 * Learner"), following Optax's {@code contrib.prodigy}: AdamW whose step size is an estimate
 * d of the distance from the first weights w0 to a solution, grown from {@code d0} as the
 * gradients show how far the weights have come. At the optimizer's t-th step, with g each
 * tensor's gradient and the sums over every tensor the step updates:
 *
 * <pre>
 * dlr = d * lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 * m   = beta1 * m + (1 - beta1) * (d * g)
 * v   = beta2 * v + (1 - beta2) * (d * g) * (d * g)
 * s   = beta3 * s + dlr * (d * g) / d0            (d in place of dlr with safeguardWarmup)
 * r   = beta3 * r + (d / d0) * dlr * sum(g * (w0 - w))
 * d'  = max(d, dCoef * r / sum(|s|))               (d stays while sum(|s|) is 0)
 * w   = w - dlr * m / (sqrt(v) + d' * eps) - weightDecay * dlr * w
 * </pre>
 *
 * d ({@code estim_lr}) and r ({@code numerator_weighted}) are one float32 value each for the whole
 * optimizer, in its state; w0 ({@code params0}) is each tensor's weight before its first update.
 * The two sums are {@link Reduction}s over the optimizer, taken before anything moves, of float32
 * values folded in double and rounded to float32; a tensor without a gradient in a step is left
 * out of that step. Since d is shared, the learning rate, the betas, d0, dCoef and
 * safeguardWarmup are the same in every group (as the authors' PyTorch {@code prodigyopt}
 * requires of the learning rate); eps and the weight decay may differ, so biases and norms can go
 * without decay. Optax divides 0 by 0 when every gradient so far is zero, which makes d NaN; here
 * d stays, as {@code prodigyopt} skips such a step. Optax has no reference on this machine, so
 * the rounding is that of its operations written out one by one in float32: every product,
 * quotient and sum rounded on its own, the root correctly rounded; the step's scalars (dlr) are
 * formed in float64 and rounded once, where Optax forms the bias correction in float32 (its dlr
 * differs by about 1e-5 relative). d0 is a constant. The bias correction counts the optimizer's steps, as
 * Optax's {@code count}; the learning rate is read at the step. Defaults are Optax's (lr 1, betas
 * 0.9 and 0.999, beta3 sqrt(beta2), eps 1e-8, d0 1e-6, dCoef 1, no decay).
 */
public final class Prodigy implements Stage {
    public static final Hyperparameter<Schedule> BETA3 = Hyperparameter.value("beta3",
            Hyperparameter.Range.UNIT_INTERVAL,
            "The decay of the distance estimate's running sums; 0 for sqrt(beta2), Optax's default.");
    public static final Hyperparameter<Schedule> D0 = Hyperparameter.value("d0", Hyperparameter.Range.POSITIVE,
            "The first, deliberately small, estimate of the distance to a solution (Optax's estim_lr0).");
    public static final Hyperparameter<Schedule> D_COEF = Hyperparameter.value("dCoef", Hyperparameter.Range.NON_NEGATIVE,
            "Multiplies each new estimate of the distance (Optax's estim_lr_coef).");
    public static final Hyperparameter<Boolean> SAFEGUARD_WARMUP = Hyperparameter.flag("safeguardWarmup",
            "Leaves the learning rate out of the estimate's denominator, so that a warmup cannot inflate it.");

    private static final Prodigy RULE = new Prodigy(false, Float.NaN, Float.NaN, Float.NaN, Float.NaN);

    /** Optax's {@code contrib.prodigy}. */
    public static final Chain PRODIGY = Chain.builder("Prodigy",
                    "Prodigy as Optax's `contrib.prodigy` computes it: AdamW whose step size estimates the distance "
                            + "to a solution, with Optax's defaults; lr scales the estimate (1, or a schedule from 1).")
            .stages(RULE)
            .value(Hyperparameter.LR, 1).value(Adam.BETA1, 0.9).value(Adam.BETA2, 0.999).value(BETA3, 0)
            .value(Hyperparameter.EPS, 1e-8).value(D0, 1e-6).value(D_COEF, 1).value(Hyperparameter.WEIGHT_DECAY, 0)
            .flag(SAFEGUARD_WARMUP, false)
            .build();

    private static final List<String> SHARED = List.of("estim_lr", "numerator_weighted");
    private static final List<Reduction> SUMS = List.of(
            new Reduction(Reduction.Fold.SUM, Reduction.Scope.OPTIMIZER, Reduction.Measure.STAGE),
            new Reduction(Reduction.Fold.SUM, Reduction.Scope.OPTIMIZER, Reduction.Measure.STAGE));

    /** Whether the step's sums made this stage; d and r before this step (NaN until bound), and after it. */
    private final boolean reduced;
    private final float d;
    private final float numerator;
    private final float nextD;
    private final float nextNumerator;

    private Prodigy(boolean reduced, float d, float numerator, float nextD, float nextNumerator) {
        this.reduced = reduced;
        this.d = d;
        this.numerator = numerator;
        this.nextD = nextD;
        this.nextNumerator = nextNumerator;
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Adam.BETA1, Adam.BETA2, BETA3, Hyperparameter.EPS, D0, D_COEF,
                Hyperparameter.WEIGHT_DECAY, SAFEGUARD_WARMUP);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("exp_avg", "exp_avg_sq", "grad_sum", "params0");
    }

    @Override
    public List<String> sharedNames() {
        return SHARED;
    }

    @Override
    public List<Hyperparameter<?>> optimizerWide() {
        return List.of(Hyperparameter.LR, Adam.BETA1, Adam.BETA2, BETA3, D0, D_COEF, SAFEGUARD_WARMUP);
    }

    @Override
    public double startsAt(String name, Hyperparams h) {
        return "estim_lr".equals(name) ? (float) h.start(D0) : 0;
    }

    @Override
    public Stage withShared(float[] values) {
        return new Prodigy(false, values[0], values[1], Float.NaN, Float.NaN);
    }

    @Override
    public float[] sharedAfter() {
        requireReduced();
        return new float[] {nextD, nextNumerator};
    }

    @Override
    public void checkShared(float[] values, Checks c) {
        c.require(values[0] > 0, "[\"estim_lr\"]", "is " + values[0] + "; the distance estimate is positive");
    }

    @Override
    public void check(Hyperparams h, Checks c) {
        h.requireConstant(D0, c, "the distance estimate and its running sums");
    }

    @Override
    public List<Reduction> reductions(Hyperparams h) {
        return SUMS;
    }

    /** The scalars of step {@code t}, from the bound d, each rounded to float32 once. */
    private record Scalars(float b1, float oneMinusB1, float b2, float oneMinusB2, float b3, float d, float d0,
                           float dlr, float sumScale) {
        static Scalars of(Hyperparams h, long t, float d) {
            double beta1 = h.at(Adam.BETA1, t);
            double beta2 = h.at(Adam.BETA2, t);
            double beta3 = h.at(BETA3, t);
            double correction = Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
            float dlr = (float) (d * h.at(Hyperparameter.LR, t) * correction);
            return new Scalars((float) beta1, (float) (1 - beta1), (float) beta2, (float) (1 - beta2),
                    (float) (beta3 == 0 ? Math.sqrt(beta2) : beta3), d, (float) h.at(D0, t), dlr,
                    h.flag(SAFEGUARD_WARMUP) ? d : dlr);
        }
    }

    @Override
    public Stage reduced(Hyperparams h, long t, double[] totals) {
        Scalars s = Scalars.of(h, t, d);
        float r = s.b3 * numerator + ((d / s.d0) * s.dlr) * (float) totals[0];
        float denominator = (float) totals[1];
        float estimate = ((float) h.at(D_COEF, t) * r) / denominator;
        return new Prodigy(true, d, numerator, denominator > 0 ? Math.max(d, estimate) : d, r);
    }

    private void requireReduced() {
        if (!reduced) {
            throw new IllegalStateException("Prodigy updates a tensor only once the step's sums are known");
        }
    }

    @Override
    public NDArray measure(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count, int which) {
        Scalars s = Scalars.of(h, t, d);
        if (which == 0) {
            return count == 1 ? g.mul(FusedOps.scalar(g, 0)) : g.mul(state[3].sub(w));
        }
        return state[2].mul(FusedOps.scalar(g, s.b3)).addi(sumStep(g, s)).abs();
    }

    /** {@code (d * g) * sumScale / d0}, what the step adds to the running sum s. */
    private static NDArray sumStep(NDArray g, Scalars s) {
        return g.mul(FusedOps.scalar(g, s.d)).muli(FusedOps.scalar(g, s.sumScale)).divi(FusedOps.scalar(g, s.d0));
    }

    @Override
    public ElementKernel measure(Hyperparams h, long t, long count, int which) {
        Scalars s = Scalars.of(h, t, d);
        if (which == 0) {
            if (count == 1) {
                return (w, g, state, n) -> {
                    for (int i = 0; i < n; i++) {
                        g[i] = g[i] * 0f;
                    }
                };
            }
            return (w, g, state, n) -> {
                float[] p0 = state[3];
                for (int i = 0; i < n; i++) {
                    g[i] = g[i] * (p0[i] - w[i]);
                }
            };
        }
        return (w, g, state, n) -> {
            float[] sum = state[2];
            for (int i = 0; i < n; i++) {
                g[i] = Math.abs(s.b3 * sum[i] + ((g[i] * s.d) * s.sumScale) / s.d0);
            }
        };
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        requireReduced();
        Scalars s = Scalars.of(h, t, d);
        float epsD = nextD * (float) h.at(Hyperparameter.EPS, t);
        float decay = (float) h.at(Hyperparameter.WEIGHT_DECAY, t) * s.dlr;
        NDArray m = state[0];
        NDArray v = state[1];
        if (count == 1) {
            state[3].set(new NDIndex("..."), w);
        }
        NDArray dg = g.mul(FusedOps.scalar(g, s.d));
        m.muli(FusedOps.scalar(m, s.b1)).addi(dg.mul(FusedOps.scalar(dg, s.oneMinusB1)));
        v.muli(FusedOps.scalar(v, s.b2)).addi(dg.mul(FusedOps.scalar(dg, s.oneMinusB2)).muli(dg));
        state[2].muli(FusedOps.scalar(g, s.b3)).addi(sumStep(g, s));
        NDArray update = m.mul(FusedOps.scalar(m, -s.dlr)).divi(FusedOps.sqrt(v).addi(FusedOps.scalar(v, epsD)));
        update.subi(w.mul(FusedOps.scalar(w, decay)));
        w.addi(update);
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        requireReduced();
        Scalars s = Scalars.of(h, t, d);
        float epsD = nextD * (float) h.at(Hyperparameter.EPS, t);
        float decay = (float) h.at(Hyperparameter.WEIGHT_DECAY, t) * s.dlr;
        float minusDlr = -s.dlr;
        boolean first = count == 1;
        return (w, g, state, n) -> {
            float[] m = state[0];
            float[] v = state[1];
            float[] sum = state[2];
            float[] p0 = state[3];
            if (first) {
                System.arraycopy(w, 0, p0, 0, n);
            }
            for (int i = 0; i < n; i++) {
                float dg = g[i] * s.d;
                m[i] = s.b1 * m[i] + s.oneMinusB1 * dg;
                v[i] = s.b2 * v[i] + (s.oneMinusB2 * dg) * dg;
                sum[i] = s.b3 * sum[i] + ((g[i] * s.d) * s.sumScale) / s.d0;
                float update = (minusDlr * m[i]) / ((float) Math.sqrt(v[i]) + epsD);
                w[i] = w[i] + (update - decay * w[i]);
            }
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Prodigy p && reduced == p.reduced && Float.compare(d, p.d) == 0 && Float.compare(numerator, p.numerator) == 0
                && Float.compare(nextD, p.nextD) == 0 && Float.compare(nextNumerator, p.nextNumerator) == 0;
    }

    @Override
    public int hashCode() {
        return List.of(reduced, d, numerator, nextD, nextNumerator).hashCode();
    }
}
