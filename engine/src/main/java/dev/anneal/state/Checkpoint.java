package dev.anneal.state;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.anneal.config.Checks;
import dev.anneal.optim.Optimizer;
import dev.anneal.optim.OptimizerState;
import dev.anneal.param.Param;
import dev.anneal.param.ParameterSet;
import dev.anneal.schedule.Plateau;
import dev.anneal.schedule.Schedule;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything a run needs to continue exactly where it stood: the model's parameters by name,
 * each optimizer's state (step counter, update counts, moments), the state of every plateau
 * controller inside the optimizers' schedules, and the loop's position. The other schedules are
 * pure functions of the step counter and need nothing saved.
 *
 * <p>Captured arrays are the live ones; write the checkpoint ({@link CheckpointFile#write})
 * before the next step changes them.
 *
 * @param epoch      the 0-based epoch to resume in
 * @param batch      batches of that epoch already trained (0 at an epoch's start)
 * @param parameters every parameter of the model, frozen ones included, by name
 * @param optimizers each optimizer's state, by the name the loop knows it under
 * @param plateaus   each plateau's state, keyed {@code <optimizer>.<group>.<hyperparameter>#<n>}
 */
public record Checkpoint(int epoch, long batch, Map<String, NDArray> parameters,
                         Map<String, OptimizerState> optimizers, Map<String, Map<String, Double>> plateaus) {
    public Checkpoint {
        Checks c = new Checks("checkpoint");
        c.require(epoch >= 0, "epoch", "must be at least 0, got " + epoch);
        c.require(batch >= 0, "batch", "must be at least 0, got " + batch);
        c.throwIfAny();
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        optimizers = Collections.unmodifiableMap(new LinkedHashMap<>(optimizers));
        Map<String, Map<String, Double>> copies = new LinkedHashMap<>();
        plateaus.forEach((key, state) -> copies.put(key, Map.copyOf(state)));
        plateaus = Collections.unmodifiableMap(copies);
    }

    /** The state of a run at a batch boundary: {@code batch} batches of {@code epoch} are done. */
    public static Checkpoint capture(int epoch, long batch, ParameterSet model, Map<String, Optimizer<?>> optimizers) {
        Map<String, NDArray> parameters = new LinkedHashMap<>();
        for (Param p : model.all()) {
            parameters.put(p.name(), p.array());
        }
        Map<String, OptimizerState> states = new LinkedHashMap<>();
        optimizers.forEach((name, optimizer) -> states.put(name, optimizer.state()));
        Map<String, Map<String, Double>> plateaus = new LinkedHashMap<>();
        plateaus(optimizers).forEach((key, plateau) -> plateaus.put(key, plateau.state()));
        return new Checkpoint(epoch, batch, parameters, states, plateaus);
    }

    /**
     * Puts this state into a model and optimizers built as the saved ones were: the same
     * parameter names, shapes and types, the same optimizer names and rules, the same plateaus.
     * Names, shapes and types are checked before anything is written, so a mismatch changes nothing.
     */
    public void restore(ParameterSet model, Map<String, Optimizer<?>> optimizers) {
        Checks c = new Checks("checkpoint");
        List<String> names = model.all().stream().map(Param::name).toList();
        c.require(parameters.keySet().equals(Set.copyOf(names)), "parameters",
                "are " + parameters.keySet() + ", the model has " + names);
        for (Param p : model.all()) {
            NDArray saved = parameters.get(p.name());
            if (saved != null && (!saved.getShape().equals(p.shape()) || saved.getDataType() != p.array().getDataType())) {
                c.fail("parameters[\"" + p.name() + "\"]", "is " + saved.getDataType() + " " + saved.getShape()
                        + ", the model has " + p.array().getDataType() + " " + p.shape());
            }
        }
        c.require(this.optimizers.keySet().equals(optimizers.keySet()), "optimizers",
                "are " + this.optimizers.keySet() + ", the run has " + optimizers.keySet());
        Map<String, Plateau> mine = plateaus(optimizers);
        c.require(plateaus.keySet().equals(mine.keySet()), "plateaus",
                "are " + plateaus.keySet() + ", the run's schedules have " + mine.keySet());
        c.throwIfAny();
        optimizers.forEach((name, optimizer) -> optimizer.checkState(this.optimizers.get(name)));
        optimizers.forEach((name, optimizer) -> optimizer.loadState(this.optimizers.get(name)));
        mine.forEach((key, plateau) -> plateau.load(plateaus.get(key)));
        try (NDScope ignored = new NDScope()) {
            for (Param p : model.all()) {
                p.assign(parameters.get(p.name()));
            }
        }
    }

    /**
     * The plateau controllers inside the optimizers' effective hyperparameters, each once
     * however many groups share it, keyed by where it is first found.
     */
    public static Map<String, Plateau> plateaus(Map<String, Optimizer<?>> optimizers) {
        Map<String, Plateau> found = new LinkedHashMap<>();
        Map<Plateau, Boolean> seen = new IdentityHashMap<>();
        optimizers.forEach((name, optimizer) -> {
            for (String group : optimizer.groups()) {
                optimizer.hyperparams(group).fields().forEach((field, value) -> {
                    if (value instanceof Schedule schedule) {
                        List<Plateau> inside = new ArrayList<>();
                        collect(schedule, inside);
                        for (int i = 0; i < inside.size(); i++) {
                            if (seen.put(inside.get(i), Boolean.TRUE) == null) {
                                found.put(name + "." + group + "." + field + "#" + i, inside.get(i));
                            }
                        }
                    }
                });
            }
        });
        return found;
    }

    private static void collect(Schedule schedule, List<Plateau> into) {
        if (schedule instanceof Plateau plateau) {
            into.add(plateau);
        }
        for (Schedule part : schedule.parts()) {
            collect(part, into);
        }
    }
}
