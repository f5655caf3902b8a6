package dev.anneal.schedule.torch;

import dev.anneal.config.Checks;
import dev.anneal.schedule.CosineAnnealing;
import dev.anneal.schedule.Schedule;

/**
 * PyTorch's {@code CosineAnnealingWarmRestarts} (Loshchilov and Hutter, 2017, SGDR): cosine
 * annealing from {@code base} to {@code etaMin} over a cycle of {@code t0} steps, restarting at
 * {@code base}, each cycle {@code tMult} times longer than the last:
 * {@code etaMin + (base - etaMin) * (1 + cos(pi * tCur / tI)) / 2}.
 */
public record CosineAnnealingWarmRestarts(double base, long t0, long tMult, double etaMin) implements Schedule {
    public static final long DEFAULT_T_MULT = 1;
    public static final double DEFAULT_ETA_MIN = 0.0;

    public CosineAnnealingWarmRestarts {
        Checks c = new Checks("schedule.cosineAnnealingWarmRestarts");
        c.positive("base", base);
        c.require(t0 >= 1, "t0", "must be a positive integer, got " + t0);
        c.require(tMult >= 1, "tMult", "must be an integer >= 1, got " + tMult);
        c.nonNegative("etaMin", etaMin);
        c.throwIfAny();
    }

    public CosineAnnealingWarmRestarts(double base, long t0) {
        this(base, t0, DEFAULT_T_MULT, DEFAULT_ETA_MIN);
    }

    @Override
    public double at(long step) {
        long tCur = step - 1;
        long tI = t0;
        if (tMult == 1) {
            tCur %= t0;
        } else {
            while (tCur >= tI) {
                tCur -= tI;
                tI *= tMult;
            }
        }
        return CosineAnnealing.value(base, etaMin, tCur, tI);
    }
}
