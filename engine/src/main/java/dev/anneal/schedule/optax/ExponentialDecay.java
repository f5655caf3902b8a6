package dev.anneal.schedule.optax;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Exponential;
import dev.anneal.schedule.Schedule;
import dev.anneal.schedule.Schedules;

import java.util.List;
import java.util.OptionalDouble;

/**
 * Exponential decay, Keras's {@code ExponentialDecay} and Optax's {@code exponential_decay}:
 *
 * <pre>
 * d = count - transitionBegin;  p = d / decaySteps  (floor(p) when staircase)
 * value = d <= 0 ? initialValue : initialValue * decayRate^p
 * value = max(value, endValue) if decayRate < 1, min(value, endValue) otherwise   (Optax's end_value)
 * </pre>
 *
 * with {@code count = step - 1}. Keras's form is {@code transitionBegin = 0} and no end value.
 * Optax returns a constant for {@code transition_steps <= 0} or {@code decay_rate == 0}; those are
 * refused here.
 */
public record ExponentialDecay(double initialValue, long decaySteps, double decayRate, boolean staircase,
                               long transitionBegin, OptionalDouble endValue) implements Schedule {
    public static final boolean DEFAULT_STAIRCASE = false;
    /** Optax's; Keras's form begins at once. */
    public static final long DEFAULT_TRANSITION_BEGIN = 0;

    public ExponentialDecay {
        Checks c = new Checks("schedule.exponentialDecay");
        c.require(Double.isFinite(initialValue), "initialValue", "must be finite, got " + initialValue);
        c.require(decaySteps >= 1, "decaySteps", "must be at least 1, got " + decaySteps);
        c.positive("decayRate", decayRate);
        c.require(transitionBegin >= 0, "transitionBegin", "must be at least 0, got " + transitionBegin);
        c.require(endValue != null, "endValue", "is OptionalDouble.empty() when there is none, got null");
        if (endValue != null && endValue.isPresent()) {
            c.require(Double.isFinite(endValue.getAsDouble()), "endValue", "must be finite, got " + endValue.getAsDouble());
        }
        c.throwIfAny();
    }

    /** Keras's {@code ExponentialDecay(initial_learning_rate, decay_steps, decay_rate, staircase)}. */
    public static ExponentialDecay keras(double initialLearningRate, long decaySteps, double decayRate, boolean staircase) {
        return new ExponentialDecay(initialLearningRate, decaySteps, decayRate, staircase, DEFAULT_TRANSITION_BEGIN,
                OptionalDouble.empty());
    }

    public static ExponentialDecay keras(double initialLearningRate, long decaySteps, double decayRate) {
        return keras(initialLearningRate, decaySteps, decayRate, DEFAULT_STAIRCASE);
    }

    /**
     * Optax's {@code exponential_decay(init_value, transition_steps, decay_rate, transition_begin,
     * staircase, end_value)}; {@code endValue} is a lower bound when decaying, an upper bound when
     * {@code decayRate > 1}.
     */
    public static ExponentialDecay optax(double initValue, long transitionSteps, double decayRate, long transitionBegin,
                                         boolean staircase, OptionalDouble endValue) {
        return new ExponentialDecay(initValue, transitionSteps, decayRate, staircase, transitionBegin, endValue);
    }

    /** Optax's {@code exponential_decay} with no end value. */
    public static ExponentialDecay optax(double initValue, long transitionSteps, double decayRate) {
        return optax(initValue, transitionSteps, decayRate, DEFAULT_TRANSITION_BEGIN, DEFAULT_STAIRCASE,
                OptionalDouble.empty());
    }

    /**
     * Optax's {@code warmup_exponential_decay_schedule(init_value, peak_value, warmup_steps,
     * transition_steps, decay_rate, transition_begin, staircase, end_value)}: linear from
     * {@code initValue} to {@code peakValue} over {@code warmupSteps} counts, then
     * {@link #optax} from the peak, counting from the end of the warmup.
     */
    public static Schedule warmupOptax(double initValue, double peakValue, long warmupSteps, long transitionSteps,
                                       double decayRate, long transitionBegin, boolean staircase, OptionalDouble endValue) {
        return Schedules.join(List.of(PolynomialDecay.linear(initValue, peakValue, warmupSteps, 0),
                optax(peakValue, transitionSteps, decayRate, transitionBegin, staircase, endValue)), warmupSteps);
    }

    @Override
    public double at(long step) {
        long decreased = step - 1 - transitionBegin;
        double p = (double) decreased / decaySteps;
        if (staircase) {
            p = Math.floor(p);
        }
        double value = decreased <= 0 ? initialValue : Exponential.value(initialValue, decayRate, p);
        if (endValue.isPresent()) {
            double end = endValue.getAsDouble();
            value = decayRate < 1.0 ? Math.max(value, end) : Math.min(value, end);
        }
        return value;
    }
}
