package dev.anneal.schedule;

import dev.anneal.config.Checks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plateau control, as PyTorch's {@code ReduceLROnPlateau}, Keras's callback and Optax's
 * {@code reduce_on_plateau}: fed a metric after each evaluation, it multiplies its scale by
 * {@code factor} when the metric has not improved for more than {@code patience} evaluations,
 * then waits {@code cooldown} evaluations. Its value is a time schedule times that scale, so
 * warmup-cosine with plateau reduction is one schedule (PyTorch and Keras cannot combine them):
 *
 * <pre>
 * improved = min mode: metric < best * (1 - threshold)   (rel)  or  metric < best - threshold (abs)
 *            max mode: metric > best * (1 + threshold)   (rel)  or  metric > best + threshold (abs)
 * value(step) = max(schedule(step) * scale, min(schedule(step), minValue))
 * </pre>
 *
 * The floor bounds reductions, as PyTorch's {@code min_lr}; it never lifts the time schedule
 * itself (a warmup from zero still starts at zero).
 *
 * A reduction that would change the value by {@code eps} or less is skipped, as in PyTorch.
 * Unlike the other schedules this one has state, fed by {@link #observe}; {@link #state()} and
 * {@link #load} save and restore it with a checkpoint.
 */
public final class Plateau implements Schedule {
    /** Whether a smaller or a larger metric is better. */
    public enum Mode { MIN, MAX }

    /** Whether the improvement threshold is relative to the best metric or absolute. */
    public enum ThresholdMode { REL, ABS }

    public static final Mode DEFAULT_MODE = Mode.MIN;
    public static final double DEFAULT_FACTOR = 0.1;
    public static final int DEFAULT_PATIENCE = 10;
    public static final double DEFAULT_THRESHOLD = 1e-4;
    public static final ThresholdMode DEFAULT_THRESHOLD_MODE = ThresholdMode.REL;
    public static final int DEFAULT_COOLDOWN = 0;
    /** PyTorch's {@code min_lr}. */
    public static final double DEFAULT_MIN_VALUE = 0;
    public static final double DEFAULT_EPS = 1e-8;
    /** The keys of {@link #state()}. */
    public static final List<String> STATE_KEYS = List.of("scale", "best", "badEvaluations", "cooldownLeft");

    /** Replaced once by {@link #inSteps} when the time schedule counts epochs. */
    private volatile Schedule schedule;
    private final Mode mode;
    private final double factor;
    private final int patience;
    private final double threshold;
    private final ThresholdMode thresholdMode;
    private final int cooldown;
    private final double minValue;
    private final double eps;

    /** Written under the lock by {@link #observe}, read without it by the training thread. */
    private volatile double scale = 1;
    private double best;
    private int badEvaluations;
    private int cooldownLeft;

    public Plateau(Schedule schedule, Mode mode, double factor, int patience, double threshold,
                   ThresholdMode thresholdMode, int cooldown, double minValue, double eps) {
        Checks c = new Checks("schedule.plateau");
        c.require(schedule != null, "schedule", "is required");
        c.require(mode != null, "mode", "is required (MIN or MAX)");
        c.require(thresholdMode != null, "thresholdMode", "is required (REL or ABS)");
        c.require(factor > 0 && factor < 1, "factor", "must be in (0.0, 1.0), got " + factor);
        c.require(patience >= 0, "patience", "must be at least 0, got " + patience);
        c.nonNegative("threshold", threshold);
        c.require(cooldown >= 0, "cooldown", "must be at least 0, got " + cooldown);
        c.nonNegative("minValue", minValue);
        c.nonNegative("eps", eps);
        c.throwIfAny();
        this.schedule = schedule;
        this.mode = mode;
        this.factor = factor;
        this.patience = patience;
        this.threshold = threshold;
        this.thresholdMode = thresholdMode;
        this.cooldown = cooldown;
        this.minValue = minValue;
        this.eps = eps;
        this.best = mode == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /** With PyTorch's defaults for the rest (the {@code DEFAULT_} constants). */
    public static Plateau over(Schedule schedule) {
        return new Plateau(schedule, DEFAULT_MODE, DEFAULT_FACTOR, DEFAULT_PATIENCE, DEFAULT_THRESHOLD,
                DEFAULT_THRESHOLD_MODE, DEFAULT_COOLDOWN, DEFAULT_MIN_VALUE, DEFAULT_EPS);
    }

    @Override
    public double at(long step) {
        double value = schedule.at(step);
        return Math.max(value * scale, Math.min(value, minValue));
    }

    @Override
    public long validSteps() {
        return schedule.validSteps();
    }

    @Override
    public boolean countsEpochs() {
        return schedule.countsEpochs();
    }

    /**
     * Turns the time schedule's epochs into steps in place and returns this plateau, not a copy:
     * the plateau is the object its callers feed metrics to, so it must stay the same one.
     */
    @Override
    public Schedule inSteps(long stepsPerEpoch) {
        schedule = schedule.inSteps(stepsPerEpoch);
        return this;
    }

    @Override
    public java.util.List<Schedule> parts() {
        return java.util.List.of(schedule);
    }

    /** Feeds the metric measured after optimizer step {@code step}; it decides the values from step + 1 on. */
    public synchronized void observe(double metric, long step) {
        if (improved(metric)) {
            best = metric;
            badEvaluations = 0;
        } else {
            badEvaluations++;
        }
        if (cooldownLeft > 0) {
            cooldownLeft--;
            badEvaluations = 0;
        }
        if (badEvaluations > patience) {
            // The next step's value decides whether a reduction changes anything; on the run's
            // last step there is no next one, so the last is used.
            long next = Math.min(step + 1, schedule.validSteps());
            double value = schedule.at(next);
            double current = at(next);
            double reduced = Math.max(value * scale * factor, Math.min(value, minValue));
            if (current - reduced > eps) {
                scale *= factor;
            }
            cooldownLeft = cooldown;
            badEvaluations = 0;
        }
    }

    private boolean improved(double metric) {
        return switch (mode) {
            case MIN -> thresholdMode == ThresholdMode.REL ? metric < best * (1 - threshold) : metric < best - threshold;
            case MAX -> thresholdMode == ThresholdMode.REL ? metric > best * (threshold + 1) : metric > best + threshold;
        };
    }

    /** The current scale factor on the time schedule. */
    public double scale() {
        return scale;
    }

    /** Everything {@link #load} needs to continue exactly. */
    public synchronized Map<String, Double> state() {
        Map<String, Double> state = new LinkedHashMap<>();
        state.put("scale", scale);
        state.put("best", best);
        state.put("badEvaluations", (double) badEvaluations);
        state.put("cooldownLeft", (double) cooldownLeft);
        return state;
    }

    /** Puts back a {@link #state()}; a state that cannot be one is refused and nothing changes. */
    public synchronized void load(Map<String, Double> state) {
        Checks c = new Checks("plateau.state");
        checkState(state, c);
        c.throwIfAny();
        scale = state.get("scale");
        best = state.get("best");
        badEvaluations = state.get("badEvaluations").intValue();
        cooldownLeft = state.get("cooldownLeft").intValue();
    }

    /**
     * Reports into {@code c} what keeps {@code state} from being a plateau's: a missing or
     * unknown key, a scale outside (0, 1], a count that is not a whole number from 0, a NaN best.
     */
    public static void checkState(Map<String, Double> state, Checks c) {
        for (String key : STATE_KEYS) {
            c.require(state.get(key) != null, key, "is missing; the state has " + state.keySet());
        }
        state.keySet().stream().filter(k -> !STATE_KEYS.contains(k))
                .forEach(k -> c.fail(k, "is not part of a plateau's state; the parts are " + STATE_KEYS));
        if (!STATE_KEYS.stream().allMatch(k -> state.get(k) != null)) {
            return;
        }
        double newScale = state.get("scale");
        c.require(newScale > 0 && newScale <= 1, "scale", "must be in (0.0, 1.0], got " + newScale);
        for (String count : new String[] {"badEvaluations", "cooldownLeft"}) {
            double v = state.get(count);
            c.require(v >= 0 && v == Math.rint(v) && v <= Integer.MAX_VALUE, count, "must be a whole number >= 0, got " + v);
        }
        c.require(!Double.isNaN(state.get("best")), "best", "must be a number, got NaN");
    }
}
