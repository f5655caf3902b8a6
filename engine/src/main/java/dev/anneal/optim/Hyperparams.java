package dev.anneal.optim;

import dev.anneal.config.Checks;

import dev.anneal.schedule.Schedule;

import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The hyperparameters of one optimizer, as a record with one field per hyperparameter (a
 * {@link dev.anneal.schedule.Schedule} or a flag). The same type serves as a complete set (the
 * optimizer's defaults, or a group's effective values) and as a group's overrides, in which a
 * null field means "inherit".
 */
public interface Hyperparams<H extends Hyperparams<H>> {
    /** The update rule these hyperparameters configure. */
    UpdateRule<H> rule();

    /** These values with every field that {@code override} sets taking its place. */
    H overriddenBy(H override);

    /** These values with weight decay switched off (for biases and norms). */
    H withoutWeightDecay();

    /** Checks a complete set: every field present and in range. */
    void check(Checks checks);

    /** These values with {@code f} applied to every schedule; flags stay as they are. */
    default H mapSchedules(UnaryOperator<Schedule> f) {
        return Rules.mapSchedules(self(), f);
    }

    /** Field name to value (a schedule or a flag), in declaration order; null fields left out. */
    default Map<String, Object> fields() {
        return Rules.fields(this);
    }

    @SuppressWarnings("unchecked")
    private H self() {
        return (H) this;
    }
}
