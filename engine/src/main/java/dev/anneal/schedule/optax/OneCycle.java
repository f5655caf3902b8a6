package dev.anneal.schedule.optax;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Schedule;

/**
 * Optax's one-cycle schedules (Smith and Topin, 2018, "Super-Convergence"), both a
 * {@link PiecewiseInterpolate} over {@code transitionSteps}, starting at
 * {@code init = peakValue / divFactor}:
 *
 * <ul>
 * <li>{@link Linear}, {@code linear_onecycle_schedule}: linear from {@code init} up to
 * {@code peakValue} at count {@code int(pctStart * T)}, back down to {@code init} at
 * {@code int(pctFinal * T)}, then to {@code init / finalDivFactor} at {@code T}.</li>
 * <li>{@link Cosine}, {@code cosine_onecycle_schedule}: half-cosine from {@code init} up to
 * {@code peakValue} at {@code int(pctStart * T)}, then down to {@code init / finalDivFactor} at
 * {@code T}.</li>
 * </ul>
 *
 * {@code int} truncates, as Python's does. The cycle lasts {@code transitionSteps} steps
 * ({@link #validSteps()}): Optax holds the final value after it, but a run planned longer is
 * refused by the budget check, as for PyTorch's {@code OneCycleLR}, since it usually means a wrong
 * total. Optax builds these from a dict keyed by those boundaries, so two that truncate to the same
 * step silently drop a phase; that is refused here.
 */
public sealed interface OneCycle extends Schedule {
    double DEFAULT_PCT_START = 0.3;
    double DEFAULT_DIV_FACTOR = 25.0;
    double DEFAULT_FINAL_DIV_FACTOR = 1e4;

    long transitionSteps();

    /** The piecewise interpolation this cycle is. */
    PiecewiseInterpolate curve();

    @Override
    default double at(long step) {
        return curve().at(step);
    }

    @Override
    default long validSteps() {
        return transitionSteps();
    }

    /** Optax's {@code linear_onecycle_schedule} with its defaults for the rest (the {@code DEFAULT_} constants). */
    static Linear linear(long transitionSteps, double peakValue) {
        return new Linear(transitionSteps, peakValue, DEFAULT_PCT_START, Linear.DEFAULT_PCT_FINAL, DEFAULT_DIV_FACTOR,
                DEFAULT_FINAL_DIV_FACTOR);
    }

    /** Optax's {@code cosine_onecycle_schedule} with its defaults for the rest (the {@code DEFAULT_} constants). */
    static Cosine cosine(long transitionSteps, double peakValue) {
        return new Cosine(transitionSteps, peakValue, DEFAULT_PCT_START, DEFAULT_DIV_FACTOR, DEFAULT_FINAL_DIV_FACTOR);
    }

    /**
     * Three linear phases; scales {@code {int(pctStart*T): divFactor, int(pctFinal*T): 1/divFactor,
     * T: 1/finalDivFactor}} from {@code peakValue / divFactor}.
     */
    record Linear(long transitionSteps, double peakValue, double pctStart, double pctFinal, double divFactor,
                  double finalDivFactor) implements OneCycle {
        public static final double DEFAULT_PCT_FINAL = 0.85;

        public Linear {
            Checks c = new Checks("schedule.oneCycle");
            checkCommon(c, transitionSteps, peakValue, pctStart, divFactor, finalDivFactor);
            c.inClosed("pctFinal", pctFinal, 0, 1);
            if (c.isEmpty()) {
                long up = (long) (pctStart * transitionSteps);
                long down = (long) (pctFinal * transitionSteps);
                c.require(up < down, "pctFinal", "must end the second phase after the first: int(pctFinal * "
                        + transitionSteps + ") = " + down + " must be greater than int(pctStart * " + transitionSteps
                        + ") = " + up + ", got pctStart " + pctStart + " and pctFinal " + pctFinal);
                c.require(down < transitionSteps, "pctFinal", "must leave the third phase at least one step: int(pctFinal * "
                        + transitionSteps + ") = " + down + " must be less than " + transitionSteps + ", got " + pctFinal);
            }
            c.throwIfAny();
        }

        @Override
        public PiecewiseInterpolate curve() {
            return new PiecewiseInterpolate(PiecewiseInterpolate.Interpolation.LINEAR, peakValue / divFactor,
                    new long[] {(long) (pctStart * transitionSteps), (long) (pctFinal * transitionSteps), transitionSteps},
                    new double[] {divFactor, 1.0 / divFactor, 1.0 / finalDivFactor});
        }

    }

    /**
     * Two half-cosine phases; scales {@code {int(pctStart*T): divFactor, T: 1/(divFactor *
     * finalDivFactor)}} from {@code peakValue / divFactor}.
     */
    record Cosine(long transitionSteps, double peakValue, double pctStart, double divFactor, double finalDivFactor)
            implements OneCycle {
        public Cosine {
            Checks c = new Checks("schedule.oneCycle");
            checkCommon(c, transitionSteps, peakValue, pctStart, divFactor, finalDivFactor);
            c.throwIfAny();
        }

        @Override
        public PiecewiseInterpolate curve() {
            return new PiecewiseInterpolate(PiecewiseInterpolate.Interpolation.COSINE, peakValue / divFactor,
                    new long[] {(long) (pctStart * transitionSteps), transitionSteps},
                    new double[] {divFactor, 1.0 / (divFactor * finalDivFactor)});
        }

    }

    private static void checkCommon(Checks c, long transitionSteps, double peakValue, double pctStart,
                                    double divFactor, double finalDivFactor) {
        c.require(transitionSteps >= 1, "transitionSteps", "must be at least 1, got " + transitionSteps);
        c.require(Double.isFinite(peakValue), "peakValue", "must be finite, got " + peakValue);
        c.inClosed("pctStart", pctStart, 0, 1);
        c.positive("divFactor", divFactor);
        c.positive("finalDivFactor", finalDivFactor);
        if (c.isEmpty()) {
            long up = (long) (pctStart * transitionSteps);
            c.require(up < transitionSteps, "pctStart", "must leave the decay at least one step: int(pctStart * "
                    + transitionSteps + ") = " + up + " must be less than " + transitionSteps + ", got " + pctStart);
        }
    }
}
