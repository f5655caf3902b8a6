package dev.anneal.schedule.torch;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Polynomial;

/**
 * PyTorch's {@code PolynomialLR}: {@code base * (1 - min(t, totalIters) / totalIters)^power},
 * zero from {@code totalIters} on.
 */
public record PolynomialLR(double base, long totalIters, double power) implements Multiplicative {
    public static final long DEFAULT_TOTAL_ITERS = 5;
    public static final double DEFAULT_POWER = 1.0;

    public PolynomialLR {
        Checks c = new Checks("schedule.polynomialLR");
        c.positive("base", base);
        c.require(totalIters >= 1, "totalIters", "must be at least 1, got " + totalIters);
        c.nonNegative("power", power);
        c.throwIfAny();
    }

    public PolynomialLR(double base) {
        this(base, DEFAULT_TOTAL_ITERS, DEFAULT_POWER);
    }

    @Override
    public double factor(long t) {
        return Polynomial.value(1, 0, (double) Math.min(t, totalIters) / totalIters, power);
    }
}
