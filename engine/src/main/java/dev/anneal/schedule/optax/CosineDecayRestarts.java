package dev.anneal.schedule.optax;

import dev.anneal.config.Checks;
import dev.anneal.schedule.CosineAnnealing;
import dev.anneal.schedule.Schedule;

/**
 * Keras's {@code CosineDecayRestarts} (Loshchilov and Hutter, 2017, "SGDR: Stochastic Gradient
 * Descent with Warm Restarts"): cosine cycles, the first {@code firstDecaySteps} long, each next
 * one {@code tMul} times longer and starting {@code mMul} times higher. With
 * {@code count = step - 1} and {@code f = count / firstDecaySteps}, cycle {@code i} is the one with
 * {@code S(i) <= f < S(i+1)}, {@code S(i) = (1 - tMul^i) / (1 - tMul)} ({@code S(i) = i} for
 * {@code tMul = 1}), and
 *
 * <pre>
 * x = (f - S(i)) / tMul^i
 * value = initialValue * ((1 - alpha) * 0.5 * mMul^i * (1 + cos(pi * x)) + alpha)
 * </pre>
 *
 * The floor {@code alpha * initialValue} is not scaled by {@code mMul^i}, as in Keras. Keras finds
 * {@code i} as {@code floor(log(1 - f * (1 - tMul)) / log(tMul))}, which rounding can put one cycle
 * off exactly at a restart (tMul 3, first 5, count 605: the end of cycle 4 instead of the top of
 * cycle 5); here that estimate is corrected against {@code S}, so a restart step is always the first
 * step of its cycle. {@code tMul >= 1}: with a smaller one the cycles would
 * shrink to nothing after a finite number of steps.
 */
public record CosineDecayRestarts(double initialValue, long firstDecaySteps, double tMul, double mMul, double alpha)
        implements Schedule {
    public static final double DEFAULT_T_MUL = 2.0;
    public static final double DEFAULT_M_MUL = 1.0;
    public static final double DEFAULT_ALPHA = 0.0;

    public CosineDecayRestarts {
        Checks c = new Checks("schedule.cosineDecayRestarts");
        c.require(Double.isFinite(initialValue), "initialValue", "must be finite, got " + initialValue);
        c.require(firstDecaySteps >= 1, "firstDecaySteps", "must be at least 1, got " + firstDecaySteps);
        c.require(tMul >= 1 && Double.isFinite(tMul), "tMul", "must be at least 1 and finite, got " + tMul);
        c.nonNegative("mMul", mMul);
        c.require(Double.isFinite(alpha), "alpha", "must be finite, got " + alpha);
        c.throwIfAny();
    }

    /** With Keras's defaults for the rest (the {@code DEFAULT_} constants). */
    public static CosineDecayRestarts keras(double initialLearningRate, long firstDecaySteps) {
        return new CosineDecayRestarts(initialLearningRate, firstDecaySteps, DEFAULT_T_MUL, DEFAULT_M_MUL, DEFAULT_ALPHA);
    }

    @Override
    public double at(long step) {
        double f = (double) (step - 1) / firstDecaySteps;
        double restart;
        double x;
        if (tMul == 1.0) {
            restart = Math.floor(f);
            x = f - restart;
        } else {
            restart = Math.floor(Math.log(1 - f * (1 - tMul)) / Math.log(tMul));
            while (start(restart + 1) <= f) {
                restart++;
            }
            while (restart > 0 && start(restart) > f) {
                restart--;
            }
            x = (f - start(restart)) / Math.pow(tMul, restart);
        }
        double cosineDecayed = Math.pow(mMul, restart) * CosineAnnealing.value(1, 0, x, 1);
        return initialValue * ((1 - alpha) * cosineDecayed + alpha);
    }

    /** Where cycle {@code i} starts, in units of the first cycle. */
    private double start(double i) {
        return (1.0 - Math.pow(tMul, i)) / (1.0 - tMul);
    }
}
