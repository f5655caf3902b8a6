package dev.anneal.schedule.optax;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Schedule;

/**
 * Optax's {@code warmup_cosine_decay_schedule}: a linear warmup from {@code initValue} to
 * {@code peakValue} over {@code warmupSteps}, joined to a cosine decay from {@code peakValue} to
 * {@code endValue} over the remaining {@code decaySteps - warmupSteps} ({@code decaySteps} counts
 * the warmup). With {@code count = step - 1}:
 *
 * <pre>
 * count <  warmupSteps:  (initValue - peakValue) * (1 - count / warmupSteps) + peakValue
 * count >= warmupSteps:  cosine_decay_schedule(peakValue, decaySteps - warmupSteps,
 *                                              alpha = endValue / peakValue, exponent)(count - warmupSteps)
 * </pre>
 *
 * The peak is reached exactly at {@code count = warmupSteps}, the first step of the decay; the
 * value then stays at {@code endValue}. As in Optax, {@code alpha} is 0 when {@code peakValue} is
 * 0, so such a schedule decays to 0, not to {@code endValue}. {@link Sgdr} joins several of these.
 */
public record WarmupCosineDecay(double initValue, double peakValue, long warmupSteps, long decaySteps,
                                double endValue, double exponent) implements Schedule {
    public static final double DEFAULT_END_VALUE = 0.0;
    public static final double DEFAULT_EXPONENT = 1.0;

    public WarmupCosineDecay {
        Checks c = new Checks("schedule.warmupCosineDecay");
        c.require(Double.isFinite(initValue), "initValue", "must be finite, got " + initValue);
        c.require(Double.isFinite(peakValue), "peakValue", "must be finite, got " + peakValue);
        c.require(Double.isFinite(endValue), "endValue", "must be finite, got " + endValue);
        c.require(warmupSteps >= 0, "warmupSteps", "must be at least 0, got " + warmupSteps);
        c.require(decaySteps > warmupSteps, "decaySteps",
                "must be greater than warmupSteps " + warmupSteps
                        + " (it includes the warmup; the cosine part needs at least one step), got " + decaySteps);
        c.positive("exponent", exponent);
        c.throwIfAny();
    }

    public WarmupCosineDecay(double initValue, double peakValue, long warmupSteps, long decaySteps, double endValue) {
        this(initValue, peakValue, warmupSteps, decaySteps, endValue, DEFAULT_EXPONENT);
    }

    public WarmupCosineDecay(double initValue, double peakValue, long warmupSteps, long decaySteps) {
        this(initValue, peakValue, warmupSteps, decaySteps, DEFAULT_END_VALUE);
    }

    @Override
    public double at(long step) {
        long count = step - 1;
        if (count < warmupSteps) {
            return (initValue - peakValue) * (1 - (double) count / warmupSteps) + peakValue;
        }
        double alpha = peakValue == 0.0 ? 0.0 : endValue / peakValue;
        return CosineDecay.cosine(peakValue, decaySteps - warmupSteps, alpha, exponent, count - warmupSteps);
    }
}
