package dev.anneal.schedule;

import java.util.OptionalDouble;

/**
 * A hyperparameter's value as a pure function of the optimizer step (1 for the first step).
 * A schedule never touches an optimizer; the optimizer asks it for the value of each step.
 * Schedules compose into new schedules: {@link #then}, {@link Schedules#join}, {@link #times},
 * {@link #clamp}.
 */
@FunctionalInterface
public interface Schedule {
    double at(long step);

    /**
     * Steps this schedule is defined for; a run planned longer is refused before training
     * ({@link Schedules#checkBudget}). Unbounded unless the schedule says otherwise.
     */
    default long validSteps() {
        return Long.MAX_VALUE;
    }

    /**
     * True when some length in this schedule is counted in epochs (a {@link Timeline} phase of
     * {@code epochs = 10}), so it runs only once {@link #inSteps} knows the steps per epoch.
     */
    default boolean countsEpochs() {
        return false;
    }

    /**
     * This schedule with every length in epochs turned into steps at {@code stepsPerEpoch};
     * a schedule counted in steps only returns itself (or an equivalent that runs faster).
     */
    default Schedule inSteps(long stepsPerEpoch) {
        return this;
    }

    /**
     * The schedules this one is made of (a product's factors, a join's pieces), so that tools
     * can find the stateful ones ({@link Plateau}) inside any composition; none by default.
     */
    default java.util.List<Schedule> parts() {
        return java.util.List.of();
    }

    /** This schedule for {@code steps} steps, then {@code next}, which counts steps from its own start. */
    default Schedule then(long steps, Schedule next) {
        return Schedules.join(java.util.List.of(this, next), steps);
    }

    default Schedule times(double factor) {
        return times(constant(factor));
    }

    /** The product of two schedules at each step: a plateau controller's factor times a time schedule, say. */
    default Schedule times(Schedule other) {
        return new Product(this, other);
    }

    /** This schedule's values held within {@code [min, max]}. */
    default Schedule clamp(double min, double max) {
        return new Clamp(this, min, max);
    }

    static Schedule constant(double value) {
        return new Constant(value);
    }

    /** The value of a constant schedule; empty for one that varies, which is checked as it runs. */
    static OptionalDouble constantValue(Schedule schedule) {
        return schedule instanceof Constant c ? OptionalDouble.of(c.value()) : OptionalDouble.empty();
    }

    /** True only for a schedule known to be zero at every step. */
    static boolean isZero(Schedule schedule) {
        return schedule instanceof Constant c && c.value() == 0.0;
    }

    /** The value every step; validated with the spec that holds it, before training. */
    record Constant(double value) implements Schedule {
        @Override
        public double at(long step) {
            return value;
        }

        @Override
        public String toString() {
            return Double.toString(value);
        }
    }

    /** {@code left.at(step) * right.at(step)}. */
    record Product(Schedule left, Schedule right) implements Schedule {
        @Override
        public double at(long step) {
            return left.at(step) * right.at(step);
        }

        @Override
        public boolean countsEpochs() {
            return left.countsEpochs() || right.countsEpochs();
        }

        @Override
        public Schedule inSteps(long stepsPerEpoch) {
            return new Product(left.inSteps(stepsPerEpoch), right.inSteps(stepsPerEpoch));
        }

        @Override
        public java.util.List<Schedule> parts() {
            return java.util.List.of(left, right);
        }

        @Override
        public long validSteps() {
            return Math.min(left.validSteps(), right.validSteps());
        }
    }

    /** {@code min(max(inner.at(step), min), max)}. */
    record Clamp(Schedule inner, double min, double max) implements Schedule {
        public Clamp {
            if (!(min <= max)) {
                throw new dev.anneal.config.InvalidConfigException("schedule.clamp",
                        "needs min <= max, got min " + min + " and max " + max);
            }
        }

        @Override
        public double at(long step) {
            return Math.min(Math.max(inner.at(step), min), max);
        }

        @Override
        public boolean countsEpochs() {
            return inner.countsEpochs();
        }

        @Override
        public Schedule inSteps(long stepsPerEpoch) {
            return new Clamp(inner.inSteps(stepsPerEpoch), min, max);
        }

        @Override
        public java.util.List<Schedule> parts() {
            return java.util.List.of(inner);
        }

        @Override
        public long validSteps() {
            return inner.validSteps();
        }
    }
}
