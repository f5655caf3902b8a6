package dev.anneal.optim;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Schedule;

import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * One hyperparameter, declared once, next to the stage that reads it: its name (in error paths,
 * audits, the builders and the DSL), whether it is a value (a constant or a {@link Schedule}) or a
 * flag, the range a value must lie in, and what it does. Its default belongs to the optimizer
 * ({@link Chain}), since reference systems give the same hyperparameter different defaults.
 * The builders, the Kotlin DSL and the test tables are generated from these declarations
 * ({@code tools/codegen}).
 *
 * @param type {@code Schedule.class} for a value, {@code Boolean.class} for a flag
 * @param range the values allowed; {@code null} for a flag
 */
public record Hyperparameter<T>(String name, Class<T> type, Range range, String doc) {
    /** The learning rate, which every update rule has. */
    public static final Hyperparameter<Schedule> LR = value("lr", Range.NON_NEGATIVE, "The learning rate.");
    /** Weight decay, as L2 in the gradient or decoupled from it, as the optimizer's chain says. */
    public static final Hyperparameter<Schedule> WEIGHT_DECAY = value("weightDecay", Range.NON_NEGATIVE,
            "Weight decay: L2 added to the gradient, or decoupled (shrinking the weights) where the optimizer says so.");
    /** The small constant that keeps a rule's denominator away from zero, which every such rule shares. */
    public static final Hyperparameter<Schedule> EPS = value("eps", Range.POSITIVE,
            "A small constant that keeps the denominator away from zero.");
    /** Ascend instead of descend: the gradient is negated before everything else. */
    public static final Hyperparameter<Boolean> MAXIMIZE = flag("maximize", "Ascends instead of descending.");

    public Hyperparameter {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(doc, "doc");
        if ((type == Schedule.class) == (range == null) || (type != Schedule.class && type != Boolean.class)) {
            throw new IllegalArgumentException("a value has a Schedule type and a range, a flag a Boolean type and none: " + name);
        }
    }

    /** A hyperparameter that takes a constant or a schedule, within {@code range}. */
    public static Hyperparameter<Schedule> value(String name, Range range, String doc) {
        return new Hyperparameter<>(name, Schedule.class, range, doc);
    }

    /** An on/off hyperparameter. */
    public static Hyperparameter<Boolean> flag(String name, String doc) {
        return new Hyperparameter<>(name, Boolean.class, null, doc);
    }

    public boolean isFlag() {
        return type == Boolean.class;
    }

    /**
     * Checks one value of a complete set: a constant before training, a schedule's value at the
     * step {@code c} checks, if any (a schedule is otherwise checked as it comes, step by step).
     */
    void check(Checks c, Object value) {
        if (value instanceof Schedule schedule) {
            OptionalLong step = c.step();
            OptionalDouble v;
            try {
                v = step.isPresent() ? OptionalDouble.of(schedule.at(step.getAsLong())) : Schedule.constantValue(schedule);
            } catch (RuntimeException e) {
                c.fail(name, "has no value: its schedule failed with " + e);
                return;
            }
            v.ifPresent(x -> range.check(c, name, x));
        }
    }

    @Override
    public String toString() {
        return name;
    }

    /** The values a hyperparameter may take, with the message {@link Checks} gives for each. */
    public enum Range {
        /** {@code [0, inf)}: rates, momentum factors, decay. */
        NON_NEGATIVE,
        /** {@code (0, inf)}: eps, scales. */
        POSITIVE,
        /** {@code (-inf, 0]}: exponents of decaying rates (FTRL's lrPower). */
        NON_POSITIVE,
        /** {@code [0, 1)}: betas, decay rates of running averages. */
        UNIT_INTERVAL,
        /** {@code [0, 1]}: dampening. */
        CLOSED_UNIT_INTERVAL,
        /** Any finite number: polynomial coefficients (Muon's Newton-Schulz step). */
        FINITE;

        /**
         * The range, then float32's: kernels compute in float32, where 1e39 is infinite and a
         * positive 1e-50 zero (a value whose range allows zero may flush to it).
         */
        void check(Checks c, String field, double value) {
            boolean inRange = switch (this) {
                case NON_NEGATIVE -> c.nonNegative(field, value);
                case POSITIVE -> c.positive(field, value);
                case NON_POSITIVE -> c.nonPositive(field, value);
                case UNIT_INTERVAL -> c.inHalfOpen(field, value, 0, 1);
                case CLOSED_UNIT_INTERVAL -> c.inClosed(field, value, 0, 1);
                case FINITE -> c.finite(field, value);
            };
            if (inRange) {
                c.float32(field, value, this != POSITIVE);
            }
        }
    }
}
