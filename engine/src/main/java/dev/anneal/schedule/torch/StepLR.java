package dev.anneal.schedule.torch;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Exponential;

/**
 * PyTorch's {@code StepLR}: the base value times {@code gamma} every {@code stepSize} steps,
 * {@code base * gamma^floor(t / stepSize)} with {@code t = step - 1}.
 */
public record StepLR(double base, long stepSize, double gamma) implements Multiplicative {
    public static final double DEFAULT_GAMMA = 0.1;

    public StepLR {
        Checks c = new Checks("schedule.stepLR");
        c.positive("base", base);
        c.require(stepSize >= 1, "stepSize", "must be at least 1, got " + stepSize);
        c.positive("gamma", gamma);
        c.throwIfAny();
    }

    public StepLR(double base, long stepSize) {
        this(base, stepSize, DEFAULT_GAMMA);
    }

    @Override
    public double factor(long t) {
        return Exponential.value(1, gamma, Math.floorDiv(t, stepSize));
    }
}
