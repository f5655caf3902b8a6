package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.anneal.config.Checks;
import dev.anneal.grad.L2Decay;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;
import dev.anneal.internal.Loops;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * Schedule-Free learning (Defazio et al., 2024, "The Road Less Scheduled"), as Optax's
 * {@code contrib.schedule_free_adamw} and {@code schedule_free_sgd} compute it, after
 * {@link Maximize} (and, for SGD, {@link L2Decay}). The model holds {@code y}, where gradients are
 * taken; the rule keeps {@code z}, and the weights to evaluate are {@code x}, an average of the
 * {@code z} seen so far, which {@link Optimizer#swapAverages()} puts into the model. At the
 * tensor's t-th update, with {@code lr} read at the optimizer's step:
 *
 * <pre>
 * maxLr     = max(maxLr, lr)                         (per tensor, float32)
 * weight    = maxLr^weightLrPower
 * weightSum = weightSum + weight
 * c         = weight / weightSum                     (0 while every lr so far was 0, for a positive power)
 * u = g * (1 / (sqrt(v / (1 - beta2^t)) + eps)) + weightDecay * y,  v = beta2 * v + (1 - beta2) * g^2   (AdamW)
 * u = g                                              (SGD, whose weight decay is L2 in g)
 * z' = z + (-lr) * u                                 (z starts at the weights)
 * x  = lerp((y - (1 - beta1) * z) / beta1, z', c)
 * y  = lerp(x, z', 1 - beta1)
 * </pre>
 *
 * Optax reads a learning-rate schedule one count later for the weights {@code c} than for the
 * step; here both read it at the step, as the paper's reference code does, which is the same for
 * a constant rate. Optax has no reference on this machine, so the rounding is this file's, in
 * Optax's order of operations: {@code v} as Adam's, the scaling a reciprocal then a product (the
 * correction {@code 1 - beta2^t} formed in double, where XLA takes a float32 power), the decay one
 * multiply-add, {@code -lr * u} and {@code z + ...} rounded apart, {@code y - (1 - beta1) z} one
 * multiply-add, the lerps as PyTorch's. {@code beta1} must be a positive constant, as Optax's
 * {@code b1} is: {@code x} divides by it, and is recovered from y with the beta1 that built y.
 * Defaults are Optax's: AdamW lr 0.0025, betas (0.9, 0.999), eps 1e-8; SGD lr 1.0, beta1 0.9; no
 * weight decay; weight lr power 2. Batch-norm
 * statistics belong to {@code y}, so the training loop recomputes them for {@code x}.
 */
public final class ScheduleFree implements WeightAverage {
    public static final Hyperparameter<Schedule> WEIGHT_LR_POWER = Hyperparameter.value("weightLrPower",
            Hyperparameter.Range.NON_NEGATIVE, "How much a step's learning rate weighs in the average x: maxLr^power (2 in Optax).");
    /** The prefix of the figures measured at {@code x}. */
    public static final String AVERAGE = "schedulefree";

    private static final ScheduleFree ADAPTIVE = new ScheduleFree(true, false, Float.NaN);
    private static final ScheduleFree PLAIN = new ScheduleFree(false, false, Float.NaN);

    /** Optax's {@code contrib.schedule_free_adamw}. */
    public static final Chain SCHEDULE_FREE_ADAMW = Chain.builder("ScheduleFreeAdamW",
                    "Schedule-Free AdamW as Optax's `contrib.schedule_free_adamw` computes it, with Optax's defaults; "
                            + "swapAverages() puts in the weights to evaluate.")
            .stages(Maximize.STAGE, ADAPTIVE)
            .value(Hyperparameter.LR, 2.5e-3).value(Adam.BETA1, 0.9).value(Adam.BETA2, 0.999).value(Hyperparameter.EPS, 1e-8)
            .value(Hyperparameter.WEIGHT_DECAY, 0).value(WEIGHT_LR_POWER, 2).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    /** Optax's {@code contrib.schedule_free_sgd}. */
    public static final Chain SCHEDULE_FREE_SGD = Chain.builder("ScheduleFreeSgd",
                    "Schedule-Free SGD as Optax's `contrib.schedule_free_sgd` computes it, with Optax's defaults; "
                            + "swapAverages() puts in the weights to evaluate.")
            .stages(Maximize.STAGE, L2Decay.STAGE, PLAIN)
            .value(Hyperparameter.LR, 1).value(Adam.BETA1, 0.9).value(Hyperparameter.WEIGHT_DECAY, 0)
            .value(WEIGHT_LR_POWER, 2).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    private final boolean adaptive;
    /** Whether {@link #forUpdate} made this stage for one update, so that {@link #c} holds. */
    private final boolean bound;
    /** This update's weight {@code c} of the new z in x. */
    private final float c;

    private ScheduleFree(boolean adaptive, boolean bound, float c) {
        this.adaptive = adaptive;
        this.bound = bound;
        this.c = c;
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public String name() {
        return AVERAGE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return adaptive
                ? List.of(Hyperparameter.LR, Adam.BETA1, Adam.BETA2, Hyperparameter.EPS, Hyperparameter.WEIGHT_DECAY, WEIGHT_LR_POWER)
                : List.of(Hyperparameter.LR, Adam.BETA1, WEIGHT_LR_POWER);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return adaptive ? List.of("z", "exp_avg_sq") : List.of("z");
    }

    @Override
    public List<String> scalarNames(Hyperparams h) {
        return List.of("weight_sum", "max_lr");
    }

    @Override
    public void check(Hyperparams h, Checks c) {
        Schedule beta1 = h.get(Adam.BETA1);
        double value = Schedule.constantValue(beta1).orElse(Double.NaN);
        c.require(value > 0, Adam.BETA1.name(), "must be a positive constant for Schedule-Free, got " + beta1
                + ": the weights to evaluate divide by it and are recovered with the beta1 that built the weights");
    }

    @Override
    public Stage forUpdate(float[] scalars, Hyperparams h, long step, long count) {
        float maxLr = Math.max(scalars[1], (float) h.at(Hyperparameter.LR, step));
        float weight = (float) Math.pow(maxLr, h.at(WEIGHT_LR_POWER, step));
        float weightSum = scalars[0] + weight;
        float ratio = weight / weightSum;
        scalars[0] = weightSum;
        scalars[1] = maxLr;
        // Optax's nan_to_num: 0 / 0 (no rate yet) weighs nothing, a NaN rate spreads.
        boolean nan = Float.isNaN(weight) || Float.isNaN(weightSum);
        return new ScheduleFree(adaptive, true, nan ? Float.NaN : Float.isNaN(ratio) ? 0f : ratio);
    }

    @Override
    public boolean started(long updates) {
        return updates > 0;
    }

    @Override
    public boolean recomputesBatchNorm() {
        return true;
    }

    /** {@code x = (y - (1 - beta1) * z) / beta1}, the weights to evaluate. */
    @Override
    public NDArray average(NDArray weight, NDArray[] state, Hyperparams h, long step) {
        double beta1 = h.at(Adam.BETA1, step);
        return FusedOps.addScaled(weight, state[0], -(1 - beta1)).divi(FusedOps.scalar(weight, beta1));
    }

    private void requireBound() {
        if (!bound) {
            throw new IllegalStateException("Schedule-Free updates a tensor only as forUpdate binds it to its weight_sum and max_lr");
        }
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        requireBound();
        double beta1 = h.at(Adam.BETA1, t);
        NDArray z = state[0];
        if (count == 1) {
            WeightAverage.copyWeights(w, z);
        }
        NDArray u = g;
        if (adaptive) {
            double beta2 = h.at(Adam.BETA2, t);
            NDArray v = state[1];
            FusedOps.addProductInPlace(v.muli(FusedOps.scalar(v, beta2)), g, g, 1 - beta2);
            NDArray denom = FusedOps.sqrt(v.div(FusedOps.scalar(v, 1 - Math.pow(beta2, count))))
                    .addi(FusedOps.scalar(v, h.at(Hyperparameter.EPS, t)));
            NDArray scaling = denom.onesLike().divi(denom);
            u = FusedOps.addScaled(g.mul(scaling), w, h.at(Hyperparameter.WEIGHT_DECAY, t));
        }
        NDArray next = z.add(u.mul(FusedOps.scalar(u, -h.at(Hyperparameter.LR, t))));
        NDArray x = average(w, state, h, t);
        FusedOps.lerpInPlace(x, next, c);
        FusedOps.lerpInPlace(x, next, 1 - beta1);
        w.set(new NDIndex("..."), x);
        z.set(new NDIndex("..."), next);
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        requireBound();
        double beta1 = h.at(Adam.BETA1, t);
        float b1 = (float) beta1;
        float negOneMinusB1 = -(float) (1 - beta1);
        float toNext = Loops.lerpCoefficient(c);
        boolean toNextSmall = Math.abs(c) < 0.5f;
        float toY = Loops.lerpCoefficient(1 - beta1);
        boolean toYSmall = Math.abs((float) (1 - beta1)) < 0.5f;
        float negLr = (float) -h.at(Hyperparameter.LR, t);
        boolean first = count == 1;
        if (!adaptive) {
            return (w, g, state, n) -> {
                float[] z = state[0];
                if (first) {
                    System.arraycopy(w, 0, z, 0, n);
                }
                for (int i = 0; i < n; i++) {
                    float next = z[i] + g[i] * negLr;
                    float x = Loops.lerp(Math.fma(z[i], negOneMinusB1, w[i]) / b1, next, toNext, toNextSmall);
                    w[i] = Loops.lerp(x, next, toY, toYSmall);
                    z[i] = next;
                }
            };
        }
        double beta2 = h.at(Adam.BETA2, t);
        float b2 = (float) beta2;
        float oneMinusB2 = (float) (1 - beta2);
        float bias2 = (float) (1 - Math.pow(beta2, count));
        float eps = (float) h.at(Hyperparameter.EPS, t);
        float decay = (float) h.at(Hyperparameter.WEIGHT_DECAY, t);
        return (w, g, state, n) -> {
            float[] z = state[0];
            float[] v = state[1];
            if (first) {
                System.arraycopy(w, 0, z, 0, n);
            }
            for (int i = 0; i < n; i++) {
                v[i] = Math.fma(oneMinusB2 * g[i], g[i], v[i] * b2);
                float u = Math.fma(w[i], decay, g[i] * (1f / ((float) Math.sqrt(v[i] / bias2) + eps)));
                float next = z[i] + u * negLr;
                float x = Loops.lerp(Math.fma(z[i], negOneMinusB1, w[i]) / b1, next, toNext, toNextSmall);
                w[i] = Loops.lerp(x, next, toY, toYSmall);
                z[i] = next;
            }
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScheduleFree other && adaptive == other.adaptive && bound == other.bound
                && Float.compare(c, other.c) == 0;
    }

    @Override
    public int hashCode() {
        return (Boolean.hashCode(adaptive) * 31 + Boolean.hashCode(bound)) * 31 + Float.hashCode(c);
    }
}
