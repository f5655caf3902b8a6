package dev.anneal.schedule;

import dev.anneal.config.Checks;

/**
 * One part of a {@link Timeline}: a curve over a duration, counting from its own start
 * ({@code c = 0} at its first step). After its duration a phase holds its last value.
 */
public sealed interface Phase {
    Duration length();

    /** The value {@code c} steps into the phase, which lasts {@code n} steps; {@code next} is the next phase's first value. */
    double value(long c, long n, double next);

    /** Linear warmup from {@code from} to the next phase's first value, reached as that phase starts (Optax's convention). */
    static Phase warmup(Duration length, double from) {
        return new Warmup(length, from);
    }

    /** A warmup from {@link dev.anneal.schedule.Warmup#DEFAULT_START}. */
    static Phase warmup(Duration length) {
        return warmup(length, dev.anneal.schedule.Warmup.DEFAULT_START);
    }

    /** Cosine decay from {@code peak} to {@code end} (Loshchilov and Hutter, 2017; Optax's {@code cosine_decay_schedule}). */
    static Phase cosine(Duration length, double peak, double end) {
        return new Cosine(length, peak, end);
    }

    /** A cosine decay to {@link Cosine#DEFAULT_END}. */
    static Phase cosine(Duration length, double peak) {
        return cosine(length, peak, Cosine.DEFAULT_END);
    }

    /** Linear from {@code from} to {@code to}, reached at the end of the phase. */
    static Phase linear(Duration length, double from, double to) {
        return new Linear(length, from, to);
    }

    static Phase constant(Duration length, double value) {
        return new Constant(length, value);
    }

    /** The {@link dev.anneal.schedule.Warmup} schedule's rule at {@code min(c, n)}, rising to {@code next}. */
    record Warmup(Duration length, double from) implements Phase {
        public Warmup {
            Checks c = new Checks("schedule.warmup");
            c.nonNegative("from", from);
            c.throwIfAny();
        }

        @Override
        public double value(long c, long n, double next) {
            return dev.anneal.schedule.Warmup.ramp(from, next, Math.min(c, n), n);
        }
    }

    /** {@link CosineAnnealing} at {@code min(c, n)}. */
    record Cosine(Duration length, double peak, double end) implements Phase {
        public static final double DEFAULT_END = 0.0;

        public Cosine {
            Checks c = new Checks("schedule.cosine");
            c.nonNegative("peak", peak);
            c.nonNegative("end", end);
            c.throwIfAny();
        }

        @Override
        public double value(long c, long n, double next) {
            return CosineAnnealing.value(peak, end, Math.min(c, n), n);
        }
    }

    /** {@code from + (to - from) * min(c, n) / n}. */
    record Linear(Duration length, double from, double to) implements Phase {
        public Linear {
            Checks c = new Checks("schedule.linear");
            c.finite("from", from);
            c.finite("to", to);
            c.throwIfAny();
        }

        @Override
        public double value(long c, long n, double next) {
            return from + (to - from) * Math.min(c, n) / n;
        }
    }

    /** The same value throughout. */
    record Constant(Duration length, double value) implements Phase {
        public Constant {
            Checks c = new Checks("schedule.constant");
            c.finite("value", value);
            c.throwIfAny();
        }

        @Override
        public double value(long c, long n, double next) {
            return value;
        }
    }
}
