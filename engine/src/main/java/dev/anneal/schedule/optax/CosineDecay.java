package dev.anneal.schedule.optax;

import dev.anneal.config.Checks;
import dev.anneal.schedule.CosineAnnealing;
import dev.anneal.schedule.Schedule;

import java.util.OptionalDouble;

/**
 * Cosine decay (Loshchilov and Hutter, 2017, "SGDR"), Keras's {@code CosineDecay} with its
 * optional linear warmup and Optax's {@code cosine_decay_schedule} with its exponent. With
 * {@code count = step - 1}:
 *
 * <pre>
 * decayed(c, from) = from * ((1 - alpha) * (0.5 * (1 + cos(pi * min(c, decaySteps) / decaySteps)))^exponent + alpha)
 *
 * no warmupTarget:  value = decayed(count, initialValue)
 * warmupTarget:     c = min(count, warmupSteps + decaySteps)
 *                   value = (warmupTarget - initialValue) * (c / warmupSteps) + initialValue   if c < warmupSteps
 *                         = decayed(c - warmupSteps, warmupTarget)                              otherwise
 * </pre>
 *
 * It ends at {@code alpha} times the value it decays from and stays there. Keras has no exponent
 * (it is 1); Optax has no warmup here (see {@link WarmupCosineDecay}). Keras ignores
 * {@code warmup_steps} without a {@code warmup_target}; that is refused here.
 */
public record CosineDecay(double initialValue, long decaySteps, double alpha, double exponent,
                          OptionalDouble warmupTarget, long warmupSteps) implements Schedule {
    public static final double DEFAULT_ALPHA = 0.0;
    /** Optax's; Keras has no exponent, which is an exponent of 1. */
    public static final double DEFAULT_EXPONENT = 1.0;
    /** Keras's, with no warmup target. */
    public static final long DEFAULT_WARMUP_STEPS = 0;

    public CosineDecay {
        Checks c = new Checks("schedule.cosineDecay");
        c.require(Double.isFinite(initialValue), "initialValue", "must be finite, got " + initialValue);
        c.require(decaySteps >= 1, "decaySteps", "must be at least 1, got " + decaySteps);
        c.require(Double.isFinite(alpha), "alpha", "must be finite, got " + alpha);
        c.positive("exponent", exponent);
        c.require(warmupSteps >= 0, "warmupSteps", "must be at least 0, got " + warmupSteps);
        c.require(warmupTarget != null, "warmupTarget", "is OptionalDouble.empty() when there is none, got null");
        if (warmupTarget != null) {
            if (warmupTarget.isPresent()) {
                double target = warmupTarget.getAsDouble();
                c.require(Double.isFinite(target), "warmupTarget", "must be finite, got " + target);
            } else {
                c.require(warmupSteps == 0, "warmupSteps",
                        "needs a warmupTarget to warm up to, got warmupSteps " + warmupSteps + " and no warmupTarget");
            }
        }
        c.throwIfAny();
    }

    /**
     * Keras's {@code CosineDecay(initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps)}:
     * with a {@code warmupTarget}, linear from {@code initialLearningRate} to it over
     * {@code warmupSteps}, then the decay from {@code warmupTarget}.
     */
    public static CosineDecay keras(double initialLearningRate, long decaySteps, double alpha,
                                    OptionalDouble warmupTarget, long warmupSteps) {
        return new CosineDecay(initialLearningRate, decaySteps, alpha, DEFAULT_EXPONENT, warmupTarget, warmupSteps);
    }

    /** Keras's {@code CosineDecay} with a warmup to {@code warmupTarget}. */
    public static CosineDecay keras(double initialLearningRate, long decaySteps, double alpha, double warmupTarget,
                                    long warmupSteps) {
        return keras(initialLearningRate, decaySteps, alpha, OptionalDouble.of(warmupTarget), warmupSteps);
    }

    /** Keras's {@code CosineDecay} without warmup. */
    public static CosineDecay keras(double initialLearningRate, long decaySteps, double alpha) {
        return keras(initialLearningRate, decaySteps, alpha, OptionalDouble.empty(), DEFAULT_WARMUP_STEPS);
    }

    public static CosineDecay keras(double initialLearningRate, long decaySteps) {
        return keras(initialLearningRate, decaySteps, DEFAULT_ALPHA);
    }

    /** Optax's {@code cosine_decay_schedule(init_value, decay_steps, alpha, exponent)}. */
    public static CosineDecay optax(double initValue, long decaySteps, double alpha, double exponent) {
        return new CosineDecay(initValue, decaySteps, alpha, exponent, OptionalDouble.empty(), DEFAULT_WARMUP_STEPS);
    }

    public static CosineDecay optax(double initValue, long decaySteps) {
        return optax(initValue, decaySteps, DEFAULT_ALPHA, DEFAULT_EXPONENT);
    }

    @Override
    public double at(long step) {
        long count = step - 1;
        if (warmupTarget.isEmpty()) {
            return decayed(count, initialValue);
        }
        double target = warmupTarget.getAsDouble();
        long c = Math.min(count, warmupSteps + decaySteps);
        if (c < warmupSteps) {
            return (target - initialValue) * ((double) c / warmupSteps) + initialValue;
        }
        return decayed(c - warmupSteps, target);
    }

    /** Optax's {@code cosine_decay_schedule} at {@code count}. */
    static double cosine(double from, long decaySteps, double alpha, double exponent, long count) {
        double cosineDecay = CosineAnnealing.value(1, 0, Math.min(count, decaySteps), decaySteps);
        return from * ((1 - alpha) * Math.pow(cosineDecay, exponent) + alpha);
    }

    private double decayed(long count, double from) {
        return cosine(from, decaySteps, alpha, exponent, count);
    }
}
