package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.config.Checks;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * AdEMAMix (Pagliardini, Ablin and Grangier, 2024, "The AdEMAMix Optimizer: Better, Faster,
 * Older"), as Optax's {@code contrib.ademamix} computes it, with the paper's warmups of alpha and
 * beta3, at the tensor's t-th update:
 *
 * <pre>
 * m1 = beta1 * m1 + (1 - beta1) * g                      (fast average)
 * m2 = beta3_t * m2 + (1 - beta3_t) * g                  (slow average, no bias correction)
 * nu = beta2 * nu + (1 - beta2) * g * g
 * u  = (m1 / (1 - beta1^t) + alpha_t * m2) / (sqrt(nu / (1 - beta2^t) + epsRoot) + eps)
 * w  = w - lr * (u + weightDecay * w)
 * </pre>
 *
 * Over the first {@code alphaWarmup} updates alpha_t rises linearly from 0, {@code alpha * t /
 * alphaWarmup}; over the first {@code beta3Warmup} updates beta3_t rises from beta1 so that the
 * slow average's half-life {@code h(b) = ln 0.5 / ln(b + 1e-8) - 1} grows linearly, {@code
 * beta3_t = 0.5^(1 / (1 + (1 - a) h(beta1) + a h(beta3)))} with {@code a = t / beta3Warmup}, as the
 * paper's reference code schedules them, by the update's number (1 first); 0 turns a warmup off.
 * Optax calls a schedule given for alpha or beta3 with the count before the update (0 first), so
 * the paper's schedulers passed to Optax run one update behind these. The scalars are formed in float64,
 * the moments each one multiply-add, the mixture and the step one multiply-add each, the root
 * correctly rounded. Defaults are Optax's (betas 0.9, 0.999 and 0.9999, alpha 5, eps 1e-8, no
 * epsRoot, no weight decay) with no warmup; the learning rate has none there and none here.
 */
public final class Ademamix implements Stage {
    public static final Hyperparameter<Schedule> BETA3 = Hyperparameter.value("beta3",
            Hyperparameter.Range.UNIT_INTERVAL, "The slow average's decay (after its warmup).");
    public static final Hyperparameter<Schedule> ALPHA = Hyperparameter.value("alpha",
            Hyperparameter.Range.NON_NEGATIVE, "How much of the slow average the update mixes in (after its warmup).");
    public static final Hyperparameter<Schedule> ALPHA_WARMUP = Hyperparameter.value("alphaWarmup",
            Hyperparameter.Range.NON_NEGATIVE, "Updates over which alpha rises linearly from 0; 0 for none.");
    public static final Hyperparameter<Schedule> BETA3_WARMUP = Hyperparameter.value("beta3Warmup",
            Hyperparameter.Range.NON_NEGATIVE, "Updates over which beta3 rises from beta1, its half-life linearly; 0 for none.");
    private static final Ademamix RULE = new Ademamix();

    /** Optax's {@code contrib.ademamix}, with the paper's warmups. */
    public static final Chain ADEMAMIX = Chain.builder("Ademamix",
                    "AdEMAMix as Optax's `contrib.ademamix` computes it, with the paper's alpha and beta3 warmups "
                            + "and Optax's defaults; the learning rate is required.")
            .stages(RULE)
            .required(Hyperparameter.LR).value(Adam.BETA1, 0.9).value(Adam.BETA2, 0.999).value(BETA3, 0.9999)
            .value(ALPHA, 5).value(Hyperparameter.EPS, 1e-8).value(AdaBelief.EPS_ROOT, 0)
            .value(Hyperparameter.WEIGHT_DECAY, 0).value(ALPHA_WARMUP, 0).value(BETA3_WARMUP, 0)
            .build();

    private Ademamix() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Adam.BETA1, Adam.BETA2, BETA3, ALPHA, Hyperparameter.EPS, AdaBelief.EPS_ROOT,
                Hyperparameter.WEIGHT_DECAY, ALPHA_WARMUP, BETA3_WARMUP);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("exp_avg_fast", "exp_avg_slow", "exp_avg_sq");
    }

    @Override
    public void check(Hyperparams h, Checks c) {
        for (Hyperparameter<Schedule> warmup : List.of(ALPHA_WARMUP, BETA3_WARMUP)) {
            h.requireConstant(warmup, c, "the warmups");
            Schedule.constantValue(h.get(warmup)).ifPresent(v -> c.require(v == Math.rint(v), warmup.name(),
                    "must be a whole number of updates, got " + v));
        }
    }

    /** alpha at a tensor's {@code count}-th update. */
    private static double alpha(Hyperparams h, long t, long count) {
        double alpha = h.at(ALPHA, t);
        double warmup = h.at(ALPHA_WARMUP, t);
        return count < warmup ? count / warmup * alpha : alpha;
    }

    /** beta3 at a tensor's {@code count}-th update. */
    private static double beta3(Hyperparams h, long t, long count) {
        double beta3 = h.at(BETA3, t);
        double warmup = h.at(BETA3_WARMUP, t);
        if (count >= warmup) {
            return beta3;
        }
        double a = count / warmup;
        double halfLife = (1 - a) * halfLife(h.at(Adam.BETA1, t)) + a * halfLife(beta3);
        return Math.pow(0.5, 1 / (halfLife + 1));
    }

    private static double halfLife(double beta) {
        return Math.log(0.5) / Math.log(beta + 1e-8) - 1;
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        double beta1 = h.at(Adam.BETA1, t);
        double beta2 = h.at(Adam.BETA2, t);
        double beta3 = beta3(h, t, count);
        NDArray fast = state[0];
        NDArray slow = state[1];
        NDArray nu = state[2];
        FusedOps.addScaledInPlace(fast.muli(FusedOps.scalar(fast, beta1)), g, 1 - beta1);
        FusedOps.addScaledInPlace(slow.muli(FusedOps.scalar(slow, beta3)), g, 1 - beta3);
        FusedOps.addProductInPlace(nu.muli(FusedOps.scalar(nu, beta2)), g, g, 1 - beta2);
        NDArray update = FusedOps.addScaled(fast.div(FusedOps.scalar(fast, 1 - Math.pow(beta1, count))), slow,
                alpha(h, t, count));
        NDArray denom = FusedOps.sqrt(nu.div(FusedOps.scalar(nu, 1 - Math.pow(beta2, count)))
                        .addi(FusedOps.scalar(nu, h.at(AdaBelief.EPS_ROOT, t))))
                .addi(FusedOps.scalar(nu, h.at(Hyperparameter.EPS, t)));
        update.divi(denom);
        FusedOps.addScaledInPlace(update, w, h.at(Hyperparameter.WEIGHT_DECAY, t));
        FusedOps.addScaledInPlace(w, update, -h.at(Hyperparameter.LR, t));
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        double beta1 = h.at(Adam.BETA1, t);
        double beta2 = h.at(Adam.BETA2, t);
        double beta3 = beta3(h, t, count);
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float b3 = (float) beta3;
        float oneMinusB1 = (float) (1 - beta1);
        float oneMinusB2 = (float) (1 - beta2);
        float oneMinusB3 = (float) (1 - beta3);
        float bias1 = (float) (1 - Math.pow(beta1, count));
        float bias2 = (float) (1 - Math.pow(beta2, count));
        float alpha = (float) alpha(h, t, count);
        float epsRoot = (float) h.at(AdaBelief.EPS_ROOT, t);
        float eps = (float) h.at(Hyperparameter.EPS, t);
        float decay = (float) h.at(Hyperparameter.WEIGHT_DECAY, t);
        float negLr = (float) -h.at(Hyperparameter.LR, t);
        return (w, g, state, n) -> {
            float[] fast = state[0];
            float[] slow = state[1];
            float[] nu = state[2];
            for (int i = 0; i < n; i++) {
                fast[i] = Math.fma(g[i], oneMinusB1, fast[i] * b1);
                slow[i] = Math.fma(g[i], oneMinusB3, slow[i] * b3);
                nu[i] = Math.fma(oneMinusB2 * g[i], g[i], nu[i] * b2);
                float update = Math.fma(slow[i], alpha, fast[i] / bias1)
                        / ((float) Math.sqrt(nu[i] / bias2 + epsRoot) + eps);
                w[i] = Math.fma(Math.fma(w[i], decay, update), negLr, w[i]);
            }
        };
    }
}
