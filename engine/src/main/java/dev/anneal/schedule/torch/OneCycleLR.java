package dev.anneal.schedule.torch;

import dev.anneal.config.Checks;
import dev.anneal.schedule.CosineAnnealing;
import dev.anneal.schedule.Schedule;

/**
 * PyTorch's {@code OneCycleLR} (Smith and Topin, 2018, "Super-Convergence"): from
 * {@code maxLr / divFactor} up to {@code maxLr} over the first {@code pctStart} of the run, then
 * down to {@code initial / finalDivFactor}, by cosine or linear annealing. With
 * {@code threePhase} the second phase comes back to the initial value and a third one goes to the
 * minimum. Phase ends (in scheduler steps): {@code pctStart * total - 1}, then
 * {@code 2 * pctStart * total - 2} (three phases), then {@code total - 1}. {@link #momentum}
 * cycles the other way, between {@code maxMomentum} and {@code baseMomentum} (for Adam, beta1).
 * The run may not be longer than {@code totalSteps}.
 */
public record OneCycleLR(double maxLr, long totalSteps, double pctStart, boolean cosine, double divFactor,
                         double finalDivFactor, boolean threePhase) implements Schedule {
    public static final double DEFAULT_PCT_START = 0.3;
    public static final boolean DEFAULT_COSINE = true;
    public static final double DEFAULT_DIV_FACTOR = 25;
    public static final double DEFAULT_FINAL_DIV_FACTOR = 1e4;
    public static final boolean DEFAULT_THREE_PHASE = false;
    public static final double DEFAULT_BASE_MOMENTUM = 0.85;
    public static final double DEFAULT_MAX_MOMENTUM = 0.95;

    public OneCycleLR {
        Checks c = new Checks("schedule.oneCycleLR");
        c.positive("maxLr", maxLr);
        c.require(totalSteps >= 2, "totalSteps", "must be at least 2, got " + totalSteps);
        c.inClosed("pctStart", pctStart, 0, 1);
        c.positive("divFactor", divFactor);
        c.positive("finalDivFactor", finalDivFactor);
        // Each phase must span at least part of a step, or its interpolation divides by zero.
        double warmupEnd = pctStart * totalSteps - 1;
        double middleEnd = threePhase ? 2 * pctStart * totalSteps - 2 : warmupEnd;
        c.require(warmupEnd > 0 && middleEnd >= warmupEnd && totalSteps - 1 > middleEnd, "pctStart",
                "leaves a phase of no length with totalSteps " + totalSteps + " (pctStart * totalSteps must be over 1"
                        + (threePhase ? " and under (totalSteps + 1) / 2" : " and under totalSteps") + "), got " + pctStart);
        c.throwIfAny();
    }

    /** With PyTorch's defaults for the rest (the {@code DEFAULT_} constants). */
    public static OneCycleLR of(double maxLr, long totalSteps) {
        return new OneCycleLR(maxLr, totalSteps, DEFAULT_PCT_START, DEFAULT_COSINE, DEFAULT_DIV_FACTOR,
                DEFAULT_FINAL_DIV_FACTOR, DEFAULT_THREE_PHASE);
    }

    @Override
    public double at(long step) {
        double initial = maxLr / divFactor;
        return anneal(step - 1, new double[] {initial, maxLr, initial / finalDivFactor, initial});
    }

    /** The momentum (or Adam's beta1) that cycles against the value. */
    public Schedule momentum(double baseMomentum, double maxMomentum) {
        OneCycleLR cycle = this;
        return new Schedule() {
            @Override
            public double at(long step) {
                return anneal(step - 1, new double[] {maxMomentum, baseMomentum, maxMomentum, maxMomentum});
            }

            @Override
            public long validSteps() {
                return cycle.validSteps();
            }
        };
    }

    /** The momentum between PyTorch's defaults, {@code DEFAULT_BASE_MOMENTUM} and {@code DEFAULT_MAX_MOMENTUM}. */
    public Schedule momentum() {
        return momentum(DEFAULT_BASE_MOMENTUM, DEFAULT_MAX_MOMENTUM);
    }

    @Override
    public long validSteps() {
        return totalSteps;
    }

    /** {@code points}: start, peak, end, and where a three-phase cycle's second phase returns to. */
    private double anneal(long t, double[] points) {
        double[][] phases = threePhase
                ? new double[][] {
                    {pctStart * totalSteps - 1, points[0], points[1]},
                    {2 * pctStart * totalSteps - 2, points[1], points[3]},
                    {totalSteps - 1, points[3], points[2]}}
                : new double[][] {
                    {pctStart * totalSteps - 1, points[0], points[1]},
                    {totalSteps - 1, points[1], points[2]}};
        double start = 0;
        for (int i = 0; i < phases.length; i++) {
            double end = phases[i][0];
            if (t <= end || i == phases.length - 1) {
                double pct = (t - start) / (end - start);
                return cosine ? CosineAnnealing.value(phases[i][1], phases[i][2], pct, 1)
                        : (phases[i][2] - phases[i][1]) * pct + phases[i][1];
            }
            start = end;
        }
        throw new IllegalStateException("unreachable");
    }
}
