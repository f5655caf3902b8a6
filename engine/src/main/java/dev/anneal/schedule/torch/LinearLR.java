package dev.anneal.schedule.torch;

import dev.anneal.config.Checks;

/**
 * PyTorch's {@code LinearLR}: the factor goes linearly from {@code startFactor} to
 * {@code endFactor} over {@code totalIters} steps, then stays:
 * {@code base * (start + (end - start) * min(t, totalIters) / totalIters)}.
 */
public record LinearLR(double base, double startFactor, double endFactor, long totalIters) implements Multiplicative {
    public static final double DEFAULT_START_FACTOR = 1.0 / 3;
    public static final double DEFAULT_END_FACTOR = 1.0;
    public static final long DEFAULT_TOTAL_ITERS = 5;

    public LinearLR {
        Checks c = new Checks("schedule.linearLR");
        c.positive("base", base);
        c.require(startFactor > 0 && startFactor <= 1, "startFactor", "must be in (0.0, 1.0], got " + startFactor);
        c.inClosed("endFactor", endFactor, 0, 1);
        c.require(totalIters >= 1, "totalIters", "must be at least 1, got " + totalIters);
        c.throwIfAny();
    }

    public LinearLR(double base) {
        this(base, DEFAULT_START_FACTOR, DEFAULT_END_FACTOR, DEFAULT_TOTAL_ITERS);
    }

    @Override
    public double factor(long t) {
        return startFactor + (endFactor - startFactor) * Math.min(t, totalIters) / totalIters;
    }
}
