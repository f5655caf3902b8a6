package dev.anneal.optim;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Schedule;

import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;

/** Range checks shared by the optimizers' hyperparameter records. */
final class Rules {
    private Rules() {
    }

    /** Every field must be set in a complete set of hyperparameters. */
    static void complete(Checks c, Hyperparams<?> h) {
        Map<String, Object> set = h.fields();
        for (RecordComponent component : h.getClass().getRecordComponents()) {
            c.require(set.containsKey(component.getName()), component.getName(),
                    "is required (this optimizer has no default for it)");
        }
    }

    /** A hyperparameter record's non-null fields by name, in declaration order. */
    static Map<String, Object> fields(Hyperparams<?> h) {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (RecordComponent component : h.getClass().getRecordComponents()) {
            try {
                Object value = component.getAccessor().invoke(h);
                if (value != null) {
                    fields.put(component.getName(), value);
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read " + component.getName() + " of " + h.getClass(), e);
            }
        }
        return fields;
    }

    /** A copy of a hyperparameter record with {@code f} applied to each schedule it holds. */
    @SuppressWarnings("unchecked")
    static <H extends Hyperparams<H>> H mapSchedules(H h, UnaryOperator<Schedule> f) {
        RecordComponent[] components = h.getClass().getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        try {
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                Object value = components[i].getAccessor().invoke(h);
                values[i] = value instanceof Schedule s ? f.apply(s) : value;
            }
            return (H) h.getClass().getDeclaredConstructor(types).newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot copy " + h.getClass(), e);
        }
    }

    static void nonNegative(Checks c, String field, Schedule s) {
        value(c, s).ifPresent(v -> c.nonNegative(field, v));
    }

    static void positive(Checks c, String field, Schedule s) {
        value(c, s).ifPresent(v -> c.positive(field, v));
    }

    /** In [0, 1): betas, decay rates. */
    static void unitInterval(Checks c, String field, Schedule s) {
        value(c, s).ifPresent(v -> c.inHalfOpen(field, v, 0, 1));
    }

    /** In [0, 1]: dampening. */
    static void closedUnitInterval(Checks c, String field, Schedule s) {
        value(c, s).ifPresent(v -> c.inClosed(field, v, 0, 1));
    }

    /** A group's override where set, else the inherited value. */
    static <T> T or(T override, T base) {
        return override != null ? override : base;
    }

    /** The value to check: a constant's, or a schedule's at the step being checked, if any. */
    private static OptionalDouble value(Checks c, Schedule s) {
        if (s == null) {
            return OptionalDouble.empty();
        }
        OptionalLong step = c.step();
        return step.isPresent() ? OptionalDouble.of(s.at(step.getAsLong())) : Schedule.constantValue(s);
    }
}
