package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.config.Checks;
import dev.anneal.grad.LossScale;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything an optimizer needs to continue exactly where it stopped: the step counter, the steps
 * it dropped, where its loss scale stands, each parameter's update count, and the state tensors
 * keyed {@code "<parameter name>/<state name>"} (names, never DJL's run-specific ids), with the
 * optimizer-wide ones (L-BFGS's history, Prodigy's distance estimate) under their own names.
 */
public record OptimizerState(String optimizer, long step, long skippedSteps, LossScale.State lossScale,
                             Map<String, Long> updates, Map<String, NDArray> tensors) {
    public OptimizerState {
        java.util.Objects.requireNonNull(lossScale, "lossScale");
        // In the given order, not Map.copyOf's per-JVM order: a checkpoint's bytes must not depend on the run.
        updates = Collections.unmodifiableMap(new LinkedHashMap<>(updates));
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /**
     * Reports into {@code c} counters no optimizer can have: a negative step, or an update count
     * below 0 or above the step counter (a parameter is updated at most once a step).
     */
    public static void checkCounts(long step, Map<String, Long> updates, Checks c) {
        c.require(step >= 0, "step", "must be at least 0, got " + step);
        updates.forEach((name, count) -> c.require(count >= 0 && count <= step, "updates[\"" + name + "\"]",
                "must be in [0, " + Math.max(step, 0) + "] (at most one update a step), got " + count));
    }
}
