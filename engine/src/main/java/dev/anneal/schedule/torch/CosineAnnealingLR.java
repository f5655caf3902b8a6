package dev.anneal.schedule.torch;

import dev.anneal.config.Checks;
import dev.anneal.schedule.CosineAnnealing;

/**
 * PyTorch's {@code CosineAnnealingLR} (Loshchilov and Hutter, 2017, SGDR without restarts):
 * {@code etaMin + (base - etaMin) * (1 + cos(pi * t / tMax)) / 2}. Past {@code tMax} it goes back
 * up, as PyTorch's does: the curve is periodic with period {@code 2 * tMax}. With
 * {@code etaMin = 0} it is a factor on the base and can be {@link Chained}.
 */
public record CosineAnnealingLR(double base, long tMax, double etaMin) implements Multiplicative {
    public static final double DEFAULT_ETA_MIN = 0.0;

    public CosineAnnealingLR {
        Checks c = new Checks("schedule.cosineAnnealingLR");
        c.positive("base", base);
        c.require(tMax >= 1, "tMax", "must be at least 1, got " + tMax);
        c.nonNegative("etaMin", etaMin);
        c.throwIfAny();
    }

    public CosineAnnealingLR(double base, long tMax) {
        this(base, tMax, DEFAULT_ETA_MIN);
    }

    @Override
    public double at(long step) {
        return CosineAnnealing.value(base, etaMin, step - 1, tMax);
    }

    @Override
    public double factor(long t) {
        return at(t + 1) / base;
    }
}
