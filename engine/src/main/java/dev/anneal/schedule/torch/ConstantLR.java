package dev.anneal.schedule.torch;

import dev.anneal.config.Checks;

/**
 * PyTorch's {@code ConstantLR}: {@code base * factor} for the first {@code totalIters} steps,
 * then {@code base}.
 */
public record ConstantLR(double base, double factor, long totalIters) implements Multiplicative {
    public static final double DEFAULT_FACTOR = 1.0 / 3;
    public static final long DEFAULT_TOTAL_ITERS = 5;

    public ConstantLR {
        Checks c = new Checks("schedule.constantLR");
        c.positive("base", base);
        c.inClosed("factor", factor, 0, 1);
        c.require(totalIters >= 1, "totalIters", "must be at least 1, got " + totalIters);
        c.throwIfAny();
    }

    public ConstantLR(double base) {
        this(base, DEFAULT_FACTOR, DEFAULT_TOTAL_ITERS);
    }

    @Override
    public double factor(long t) {
        return t < totalIters ? factor : 1.0;
    }
}
