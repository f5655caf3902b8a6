package dev.anneal.optim;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Schedule;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Values of an optimizer's hyperparameters, keyed by their declarations: complete (an optimizer's
 * defaults, a group's effective values) or partial (a group's overrides, where what is absent is
 * inherited). Immutable; reads are typed by the key, {@code get(Adam.BETA1)} is a schedule and
 * {@code flag(Hyperparameter.MAXIMIZE)} a boolean.
 */
public final class Hyperparams {
    private final Map<Hyperparameter<?>, Object> values;

    Hyperparams(Map<Hyperparameter<?>, Object> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** The value set for {@code h}, or null when it is not set here. */
    public <T> T get(Hyperparameter<T> h) {
        return h.type().cast(values.get(h));
    }

    /** The value of {@code h} at optimizer step {@code step}. */
    public double at(Hyperparameter<Schedule> h, long step) {
        return required(h).at(step);
    }

    /** A flag's value. */
    public boolean flag(Hyperparameter<Boolean> h) {
        return required(h);
    }

    private <T> T required(Hyperparameter<T> h) {
        T value = get(h);
        if (value == null) {
            throw new IllegalArgumentException("no value for " + h + " among " + values.keySet());
        }
        return value;
    }

    /** The hyperparameters set here, in the optimizer's order. */
    public Set<Hyperparameter<?>> keys() {
        return values.keySet();
    }

    /** These values with every one {@code override} sets taking its place. */
    public Hyperparams overriddenBy(Hyperparams override) {
        Map<Hyperparameter<?>, Object> merged = new LinkedHashMap<>(values);
        merged.putAll(override.values);
        return new Hyperparams(merged);
    }

    /** These values with {@code h} set to {@code value}. */
    public <T> Hyperparams with(Hyperparameter<T> h, T value) {
        Map<Hyperparameter<?>, Object> changed = new LinkedHashMap<>(values);
        changed.put(h, h.type().cast(value));
        return new Hyperparams(changed);
    }

    /** These values with {@code f} applied to every schedule; flags stay as they are. */
    public Hyperparams mapSchedules(UnaryOperator<Schedule> f) {
        Map<Hyperparameter<?>, Object> mapped = new LinkedHashMap<>();
        values.forEach((h, v) -> mapped.put(h, v instanceof Schedule s ? f.apply(s) : v));
        return new Hyperparams(mapped);
    }

    /**
     * The constant value of {@code h}, for state that starts at it once, when it is made (Adagrad's
     * sums, Rprop's step sizes); 0 while it is scheduled, which {@link #requireConstant} refuses.
     */
    public double start(Hyperparameter<Schedule> h) {
        return Schedule.constantValue(get(h)).orElse(0);
    }

    /** Reports into {@code c} a schedule for {@code h}, which must be a constant because {@code what} starts at it. */
    public void requireConstant(Hyperparameter<Schedule> h, Checks c, String what) {
        Schedule value = get(h);
        c.require(Schedule.constantValue(value).isPresent(), h.name(),
                "must be a constant: " + what + " start at it once, when they are made; got " + value);
    }

    /** True when some value changes with the step (a schedule that is not a constant). */
    public boolean isScheduled() {
        return values.values().stream().anyMatch(v -> v instanceof Schedule s && Schedule.constantValue(s).isEmpty());
    }

    /** Name to value (a schedule or a flag), in the optimizer's order: for tables and logs. */
    public Map<String, Object> fields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        values.forEach((h, v) -> fields.put(h.name(), v));
        return fields;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Hyperparams other && values.equals(other.values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return fields().toString();
    }
}
