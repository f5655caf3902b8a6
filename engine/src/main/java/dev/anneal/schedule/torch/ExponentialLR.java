package dev.anneal.schedule.torch;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Exponential;

/** PyTorch's {@code ExponentialLR}: {@code base * gamma^t} with {@code t = step - 1}. */
public record ExponentialLR(double base, double gamma) implements Multiplicative {
    public ExponentialLR {
        Checks c = new Checks("schedule.exponentialLR");
        c.positive("base", base);
        c.positive("gamma", gamma);
        c.throwIfAny();
    }

    @Override
    public double factor(long t) {
        return Exponential.value(1, gamma, t);
    }
}
