package dev.anneal.schedule.optax;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Polynomial;
import dev.anneal.schedule.Schedule;

/**
 * Polynomial decay, Keras's {@code PolynomialDecay} and Optax's {@code polynomial_schedule}
 * ({@code linear_schedule} at power 1, {@code warmup_constant_schedule} a linear rise that holds):
 *
 * <pre>
 * d = clamp(count - transitionBegin, 0, decaySteps)
 * value = (initialValue - endValue) * (1 - d / decaySteps)^power + endValue
 * </pre>
 *
 * with {@code count = step - 1}. Keras's {@code cycle} instead stretches the decay to the first
 * multiple of {@code decaySteps} at or past the count (1 at count 0), so the value rises again
 * after each multiple: {@code value = (initial - end) * (1 - count / (decaySteps * max(1,
 * ceil(count / decaySteps))))^power + end}. Optax returns a constant for {@code transition_steps
 * <= 0}; that is refused here.
 */
public record PolynomialDecay(double initialValue, double endValue, double power, long decaySteps, long transitionBegin,
                              boolean cycle) implements Schedule {
    /** Keras's end learning rate. */
    public static final double DEFAULT_KERAS_END = 1e-4;
    public static final double DEFAULT_POWER = 1.0;
    public static final boolean DEFAULT_CYCLE = false;

    public PolynomialDecay {
        Checks c = new Checks("schedule.polynomialDecay");
        c.require(Double.isFinite(initialValue), "initialValue", "must be finite, got " + initialValue);
        c.require(Double.isFinite(endValue), "endValue", "must be finite, got " + endValue);
        c.require(Double.isFinite(power), "power", "must be finite, got " + power);
        c.require(decaySteps >= 1, "decaySteps", "must be at least 1, got " + decaySteps);
        c.require(transitionBegin >= 0, "transitionBegin", "must be at least 0, got " + transitionBegin);
        c.require(!cycle || transitionBegin == 0, "cycle", "is Keras's, which has no transitionBegin; got "
                + transitionBegin);
        c.throwIfAny();
    }

    /** Keras's {@code PolynomialDecay(initial_learning_rate, decay_steps, end_learning_rate, power, cycle)}. */
    public static PolynomialDecay keras(double initialLearningRate, long decaySteps, double endLearningRate, double power,
                                        boolean cycle) {
        return new PolynomialDecay(initialLearningRate, endLearningRate, power, decaySteps, 0, cycle);
    }

    /** Keras's {@code PolynomialDecay} with its defaults: to 1e-4, linear, no cycle. */
    public static PolynomialDecay keras(double initialLearningRate, long decaySteps) {
        return keras(initialLearningRate, decaySteps, DEFAULT_KERAS_END, DEFAULT_POWER, DEFAULT_CYCLE);
    }

    /** Optax's {@code polynomial_schedule(init_value, end_value, power, transition_steps, transition_begin)}. */
    public static PolynomialDecay optax(double initValue, double endValue, double power, long transitionSteps,
                                        long transitionBegin) {
        return new PolynomialDecay(initValue, endValue, power, transitionSteps, transitionBegin, false);
    }

    /** Optax's {@code linear_schedule(init_value, end_value, transition_steps, transition_begin)}. */
    public static PolynomialDecay linear(double initValue, double endValue, long transitionSteps, long transitionBegin) {
        return optax(initValue, endValue, 1, transitionSteps, transitionBegin);
    }

    /** Optax's {@code warmup_constant_schedule(init_value, peak_value, warmup_steps)}: linear to the peak, then the peak. */
    public static PolynomialDecay warmupConstant(double initValue, double peakValue, long warmupSteps) {
        return linear(initValue, peakValue, warmupSteps, 0);
    }

    @Override
    public double at(long step) {
        long count = step - 1;
        if (cycle) {
            double span = decaySteps * (count == 0 ? 1 : Math.ceil((double) count / decaySteps));
            return Polynomial.value(initialValue, endValue, count / span, power);
        }
        long d = Math.min(Math.max(count - transitionBegin, 0), decaySteps);
        return Polynomial.value(initialValue, endValue, (double) d / decaySteps, power);
    }
}
