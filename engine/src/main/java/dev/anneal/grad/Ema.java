package dev.anneal.grad;

import ai.djl.ndarray.NDArray;
import dev.anneal.internal.FusedOps;
import dev.anneal.optim.ElementKernel;
import dev.anneal.optim.Hyperparameter;
import dev.anneal.optim.Hyperparams;
import dev.anneal.optim.WeightAverage;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * An exponential moving average of the weights, kept beside them as optimizer state
 * ({@code "ema"}) and updated in the same pass, right after the weights move, as Keras's
 * {@code use_ema=True} does ({@code BaseOptimizer._update_model_variables_moving_average}):
 *
 * <pre>
 * update 1:                   ema = w
 * every n-th update after it: ema = ema * d + w * (1 - d)      (float32: d rounded, then 1 - d in float32)
 * </pre>
 *
 * where {@code d} is {@link #DECAY} at the step (Keras's {@code ema_momentum}; a schedule may warm
 * it up), or, {@link #withWarmup() with warmup}, {@code min(decay, 1 - t^(-2/3))} at the
 * tensor's t-th update, as timm's {@code ModelEmaV3(use_warmup=True)} with its default gamma 1 and
 * power 2/3 gives it when its {@code train.py} passes the number of updates so far
 * ({@code 1 - (1 + (t - 1))^(-2/3)}). Keras computes {@code 1 - d} from the float32 {@code d}, and
 * so does this. A parameter's average starts at its first update, so one frozen for a while, or
 * added with a later group, starts from its weights then. {@code Optimizer.swapAverages()} puts
 * the averages into the model (to evaluate or save them) and back.
 */
public final class Ema implements WeightAverage {
    /** How much of the average each update keeps: Keras's {@code ema_momentum}. */
    public static final Hyperparameter<Schedule> DECAY = Hyperparameter.value("emaDecay",
            Hyperparameter.Range.CLOSED_UNIT_INTERVAL, "How much of the weights' average each update keeps.");
    /** Keras's default {@code ema_momentum}. */
    public static final double DEFAULT_DECAY = 0.99;
    /** The state array that holds the average. */
    public static final String STATE = "ema";
    public static final long DEFAULT_EVERY = 1;
    public static final boolean DEFAULT_WARMUP = false;
    /** Every update, no warmup: Keras's average. */
    public static final Ema EVERY_STEP = new Ema(DEFAULT_EVERY, DEFAULT_WARMUP);

    private static final double WARMUP_POWER = 2.0 / 3.0;
    private final long every;
    private final boolean warmup;

    private Ema(long every, boolean warmup) {
        this.every = every;
        this.warmup = warmup;
    }

    /** The average moved only every {@code n}-th update of a tensor (after the first, which starts it). */
    public Ema every(long n) {
        if (n < 1) {
            throw new dev.anneal.config.InvalidConfigException("optimizer.ema.every", "must be at least 1 update, got " + n);
        }
        return new Ema(n, warmup);
    }

    /** The decay warmed up as timm's {@code ModelEmaV3(use_warmup=True)}: {@code min(decay, 1 - t^(-2/3))} at update t. */
    public Ema withWarmup() {
        return new Ema(every, true);
    }

    @Override
    public String name() {
        return STATE;
    }

    /** From a tensor's first update on, which copies its weights. */
    @Override
    public boolean started(long updates) {
        return updates >= 1;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(DECAY);
    }

    /** The decay this tensor's {@code count}-th update (after the first) uses; NaN when it leaves the average alone. */
    private double decay(Hyperparams h, long step, long count) {
        if (count % every != 0) {
            return Double.NaN;
        }
        double decay = h.at(DECAY, step);
        return warmup ? Math.min(decay, 1 - Math.pow(count, -WARMUP_POWER)) : decay;
    }

    @Override
    public NDArray apply(NDArray w, NDArray grad, NDArray[] state, Hyperparams h, long step, long count) {
        NDArray ema = state[0];
        if (count == 1) {
            WeightAverage.copyWeights(w, ema);
            return grad;
        }
        double d = decay(h, step, count);
        if (!Double.isNaN(d)) {
            float keep = (float) d;
            ema.muli(FusedOps.scalar(ema, keep)).addi(w.mul(FusedOps.scalar(w, 1f - keep)));
        }
        return grad;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long step, long count) {
        if (count == 1) {
            return COPY_WEIGHTS;
        }
        double d = decay(h, step, count);
        if (Double.isNaN(d)) {
            return null;
        }
        float keep = (float) d;
        float take = 1f - keep;
        return (w, g, state, n) -> {
            float[] ema = state[0];
            for (int i = 0; i < n; i++) {
                ema[i] = ema[i] * keep + w[i] * take;
            }
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ema e && every == e.every && warmup == e.warmup;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(every) * 31 + Boolean.hashCode(warmup);
    }

    @Override
    public String toString() {
        return "Ema.EVERY_STEP" + (every == DEFAULT_EVERY ? "" : ".every(" + every + ")") + (warmup ? ".withWarmup()" : "");
    }
}
