package dev.anneal.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects violations under a path prefix; {@link #throwIfAny()} raises them together.
 * Numbers are printed as Java prints doubles, so a message shows the exact value received.
 */
public final class Checks {
    private final String prefix;
    private final List<Violation> violations;
    private final Long step;

    public Checks(String prefix) {
        this(prefix, new ArrayList<>(), null);
    }

    private Checks(String prefix, List<Violation> violations, Long step) {
        this.prefix = prefix;
        this.violations = violations;
        this.step = step;
    }

    /** A view that reports into the same list under {@code prefix + "." + name}. */
    public Checks at(String name) {
        return new Checks(join(prefix, name), violations, step);
    }

    /**
     * A view for values that a schedule gave at {@code step}: rules check scheduled values too,
     * and each problem says the step.
     */
    public Checks atStep(long step) {
        return new Checks(prefix, violations, step);
    }

    /** The step whose scheduled values are checked, if any. */
    public java.util.OptionalLong step() {
        return step == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(step);
    }

    public void fail(String field, String problem) {
        violations.add(new Violation(join(prefix, field), step == null ? problem : problem + " at step " + step));
    }

    /** Fails unless {@code ok}; returns {@code ok}, as the checks below do. */
    public boolean require(boolean ok, String field, String problem) {
        if (!ok) {
            fail(field, problem);
        }
        return ok;
    }

    public boolean finite(String field, double value) {
        return require(Double.isFinite(value), field, "must be a finite number, got " + value);
    }

    public boolean positive(String field, double value) {
        return require(value > 0 && Double.isFinite(value), field, "must be positive (> 0) and finite, got " + value);
    }

    public boolean nonNegative(String field, double value) {
        return require(value >= 0 && Double.isFinite(value), field, "must be non-negative (>= 0) and finite, got " + value);
    }

    public boolean nonPositive(String field, double value) {
        return require(value <= 0 && Double.isFinite(value), field, "must be non-positive (<= 0) and finite, got " + value);
    }

    /** {@code lo <= value < hi}. */
    public boolean inHalfOpen(String field, double value, double lo, double hi) {
        return require(value >= lo && value < hi, field, "must be in [" + lo + ", " + hi + "), got " + value);
    }

    /** {@code lo <= value <= hi}. */
    public boolean inClosed(String field, double value, double lo, double hi) {
        return require(value >= lo && value <= hi, field, "must be in [" + lo + ", " + hi + "], got " + value);
    }

    /**
     * A finite value a float32 kernel computes with: at most float32's largest magnitude (1e39
     * would be infinite there) and, unless it may flush to zero harmlessly (a rate, a decay),
     * zero or at least float32's smallest normal magnitude (an eps of 1e-50 would divide by zero).
     */
    public boolean float32(String field, double value, boolean mayFlushToZero) {
        double magnitude = Math.abs(value);
        String where = " (float32's range, where the update computes), got " + value;
        return require(!(magnitude > Float.MAX_VALUE), field, "must be at most " + Float.MAX_VALUE + " in magnitude" + where)
                && require(mayFlushToZero || magnitude == 0 || magnitude >= Float.MIN_NORMAL, field,
                        "must be 0 or at least " + Float.MIN_NORMAL + " in magnitude" + where);
    }

    public boolean isEmpty() {
        return violations.isEmpty();
    }

    public List<Violation> violations() {
        return List.copyOf(violations);
    }

    public void throwIfAny() {
        if (!violations.isEmpty()) {
            throw new InvalidConfigException(violations);
        }
    }

    private static String join(String prefix, String name) {
        if (prefix.isEmpty() || name.isEmpty()) {
            return prefix.isEmpty() ? name : prefix;
        }
        return name.startsWith("[") ? prefix + name : prefix + "." + name;
    }
}
