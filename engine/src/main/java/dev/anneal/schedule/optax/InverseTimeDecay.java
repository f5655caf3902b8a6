package dev.anneal.schedule.optax;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Schedule;

/**
 * Keras's {@code InverseTimeDecay}: {@code initialValue / (1 + decayRate * p)} with
 * {@code p = count / decaySteps}, floored when {@code staircase}; {@code count = step - 1}.
 */
public record InverseTimeDecay(double initialValue, long decaySteps, double decayRate, boolean staircase)
        implements Schedule {
    public static final boolean DEFAULT_STAIRCASE = false;

    public InverseTimeDecay {
        Checks c = new Checks("schedule.inverseTimeDecay");
        c.require(Double.isFinite(initialValue), "initialValue", "must be finite, got " + initialValue);
        c.require(decaySteps >= 1, "decaySteps", "must be at least 1, got " + decaySteps);
        c.nonNegative("decayRate", decayRate);
        c.throwIfAny();
    }

    public InverseTimeDecay(double initialValue, long decaySteps, double decayRate) {
        this(initialValue, decaySteps, decayRate, DEFAULT_STAIRCASE);
    }

    @Override
    public double at(long step) {
        double p = (double) (step - 1) / decaySteps;
        if (staircase) {
            p = Math.floor(p);
        }
        return initialValue / (1 + decayRate * p);
    }
}
