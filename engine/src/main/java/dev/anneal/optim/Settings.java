package dev.anneal.optim;

import dev.anneal.config.InvalidConfigException;
import dev.anneal.schedule.Schedule;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Values being set for one chain's hyperparameters: an optimizer's defaults or a group's
 * overrides. The generated settings ({@code AdamOptions}, ...) add one typed setter per
 * hyperparameter over {@link #set}; a null value unsets it (a group then inherits it).
 *
 * @param <S> the settings type itself, returned by every setter
 */
public abstract class Settings<S extends Settings<S>> {
    private final Chain chain;
    private final Map<Hyperparameter<?>, Object> values = new LinkedHashMap<>();

    Settings(Chain chain) {
        this.chain = Objects.requireNonNull(chain, "chain");
    }

    /** Sets {@code h}, which must be one of this chain's hyperparameters; null unsets it. */
    public final <T> S set(Hyperparameter<T> h, T value) {
        if (!chain.hyperparameters().contains(h)) {
            throw new InvalidConfigException("optimizer." + chain.name() + "." + h.name(),
                    "is not a hyperparameter of " + chain.name() + "; it has " + chain.hyperparameters());
        }
        if (value == null) {
            values.remove(h);
        } else {
            values.put(h, h.type().cast(value));
        }
        return self();
    }

    /** Sets a value to a constant. */
    public final S set(Hyperparameter<Schedule> h, double value) {
        return set(h, Schedule.constant(value));
    }

    /**
     * Sets a hyperparameter by name, for values read at run time: a number or a schedule for a
     * value, a boolean for a flag; null unsets it.
     */
    public final S set(String name, Object value) {
        Hyperparameter<?> h = chain.hyperparameter(name);
        Object typed = value instanceof Number n && !h.isFlag() ? Schedule.constant(n.doubleValue()) : value;
        if (typed != null && !h.type().isInstance(typed)) {
            throw new InvalidConfigException("optimizer." + chain.name() + "." + name, "takes "
                    + (h.isFlag() ? "a boolean" : "a number or a schedule") + ", got " + value);
        }
        return setChecked(h.type(), h, typed);
    }

    private <T> S setChecked(Class<T> type, Hyperparameter<?> h, Object value) {
        @SuppressWarnings("unchecked")
        Hyperparameter<T> typed = (Hyperparameter<T>) h;
        return set(typed, type.cast(value));
    }

    final Chain chain() {
        return chain;
    }

    /** Sets every value {@code h} holds. */
    final void setAll(Hyperparams h) {
        h.keys().forEach(k -> values.put(k, h.get(k)));
    }

    /** What has been set so far, in the chain's order. */
    final Hyperparams hyperparams() {
        Map<Hyperparameter<?>, Object> ordered = new LinkedHashMap<>();
        chain.hyperparameters().stream().filter(values::containsKey).forEach(h -> ordered.put(h, values.get(h)));
        return new Hyperparams(ordered);
    }

    @SuppressWarnings("unchecked")
    private S self() {
        return (S) this;
    }
}
