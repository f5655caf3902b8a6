package dev.anneal.state;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.anneal.config.Checks;
import dev.anneal.config.Shown;
import dev.anneal.optim.Optimizer;
import dev.anneal.optim.OptimizerState;
import dev.anneal.param.Param;
import dev.anneal.param.ParameterSet;
import dev.anneal.schedule.Plateau;
import dev.anneal.schedule.Schedule;

import java.util.ArrayList;
import java.util.Collection;
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
 * @param settings   each optimizer's {@link Settings}, for a resume to compare with its own; none
 *                   recorded (empty) in a checkpoint written before they were
 * @param batching   how the run cut its data into steps, which a resume must match; null when unknown
 *                   (a loop over data without a fixed batch size, a checkpoint written before it was recorded)
 */
public record Checkpoint(int epoch, long batch, Map<String, NDArray> parameters,
                         Map<String, OptimizerState> optimizers, Map<String, Map<String, Double>> plateaus,
                         Map<String, Map<String, String>> settings, Batching batching) {
    public Checkpoint {
        Checks c = new Checks("checkpoint");
        c.require(epoch >= 0, "epoch", "must be at least 0, got " + epoch);
        c.require(batch >= 0, "batch", "must be at least 0, got " + batch);
        c.throwIfAny();
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        optimizers = Collections.unmodifiableMap(new LinkedHashMap<>(optimizers));
        Map<String, Map<String, Double>> copies = new LinkedHashMap<>();
        // Ordered copies (Map.copyOf's order changes from JVM to JVM): the file's bytes depend on the state only.
        plateaus.forEach((key, state) -> copies.put(key, Collections.unmodifiableMap(new LinkedHashMap<>(state))));
        plateaus = Collections.unmodifiableMap(copies);
        Map<String, Map<String, String>> described = new LinkedHashMap<>();
        settings.forEach((name, values) -> described.put(name, Collections.unmodifiableMap(new LinkedHashMap<>(values))));
        settings = Collections.unmodifiableMap(described);
    }

    /** A checkpoint that records no settings and no batching. */
    public Checkpoint(int epoch, long batch, Map<String, NDArray> parameters, Map<String, OptimizerState> optimizers,
                      Map<String, Map<String, Double>> plateaus) {
        this(epoch, batch, parameters, optimizers, plateaus, Map.of(), null);
    }

    /** A checkpoint that records no batching. */
    public Checkpoint(int epoch, long batch, Map<String, NDArray> parameters, Map<String, OptimizerState> optimizers,
                      Map<String, Map<String, Double>> plateaus, Map<String, Map<String, String>> settings) {
        this(epoch, batch, parameters, optimizers, plateaus, settings, null);
    }

    /** The state of a run at a batch boundary: {@code batch} batches of {@code epoch} are done. */
    public static Checkpoint capture(int epoch, long batch, ParameterSet model, Map<String, Optimizer<?>> optimizers) {
        return capture(epoch, batch, model, optimizers, null);
    }

    /** The same, recording how the run cuts its data into steps ({@code batching} null: unknown). */
    public static Checkpoint capture(int epoch, long batch, ParameterSet model, Map<String, Optimizer<?>> optimizers,
                                     Batching batching) {
        Map<String, NDArray> parameters = new LinkedHashMap<>();
        for (Param p : model.all()) {
            parameters.put(p.name(), p.array());
        }
        Map<String, OptimizerState> states = new LinkedHashMap<>();
        Map<String, Map<String, String>> settings = new LinkedHashMap<>();
        optimizers.forEach((name, optimizer) -> {
            OptimizerState state = optimizer.state();
            states.put(name, state);
            settings.put(name, Settings.of(optimizer, state.step()));
        });
        Map<String, Map<String, Double>> plateaus = new LinkedHashMap<>();
        plateaus(optimizers).forEach((key, plateau) -> plateaus.put(key, plateau.state()));
        return new Checkpoint(epoch, batch, parameters, states, plateaus, settings, batching);
    }

    /**
     * Puts this state into a model and optimizers built as the saved ones were: the same
     * parameter names, shapes and types, the same optimizer names and rules, the same plateaus.
     * All or nothing: {@link #check} first, so a refused state changes nothing.
     */
    public void restore(ParameterSet model, Map<String, Optimizer<?>> optimizers) {
        check(model, optimizers);
        apply(model, optimizers);
    }

    /**
     * Refuses, naming every difference, a state that {@link #restore} could not put into this
     * model and these optimizers: parameters, each optimizer's state (its counters and its
     * schedules' length included) and each plateau's state. Changes nothing.
     */
    public void check(ParameterSet model, Map<String, Optimizer<?>> optimizers) {
        Checks c = new Checks("checkpoint");
        List<String> names = model.all().stream().map(Param::name).toList();
        sameNames(c, "parameters", parameters.keySet(), names, "the model");
        for (Param p : model.all()) {
            NDArray saved = parameters.get(p.name());
            if (saved != null && (!saved.getShape().equals(p.shape()) || saved.getDataType() != p.array().getDataType())) {
                c.fail("parameters[\"" + p.name() + "\"]", "is " + saved.getDataType() + " " + saved.getShape()
                        + ", the model has " + p.array().getDataType() + " " + p.shape());
            }
        }
        sameNames(c, "optimizers", this.optimizers.keySet(), optimizers.keySet(), "the run");
        optimizers.forEach((name, optimizer) -> {
            OptimizerState saved = this.optimizers.get(name);
            if (saved != null) {
                optimizer.checkState(saved, c.at("optimizers[\"" + name + "\"]"));
            }
        });
        Map<String, Plateau> mine = plateaus(optimizers);
        sameNames(c, "plateaus", plateaus.keySet(), mine.keySet(), "the run");
        mine.keySet().stream().filter(plateaus::containsKey)
                .forEach(key -> Plateau.checkState(plateaus.get(key), c.at("plateaus[\"" + key + "\"]")));
        c.throwIfAny();
    }

    /** Reports the names the run has and the checkpoint lacks, and the other way round, a few of each. */
    private static void sameNames(Checks c, String field, Set<String> saved, Collection<String> run, String runName) {
        List<String> missing = run.stream().filter(n -> !saved.contains(n)).toList();
        Set<String> known = Set.copyOf(run);
        List<String> extra = saved.stream().filter(n -> !known.contains(n)).toList();
        if (!missing.isEmpty() || !extra.isEmpty()) {
            c.fail(field, (missing.isEmpty() ? "" : "lack " + few(missing) + ", which " + runName + " has")
                    + (missing.isEmpty() || extra.isEmpty() ? "" : ", and ")
                    + (extra.isEmpty() ? "" : "have " + few(extra) + ", which " + runName + " has not"));
        }
    }

    private static String few(List<String> names) {
        int shown = Math.min(names.size(), 10);
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < shown; i++) {
            out.append(i == 0 ? "" : ", ").append(Shown.quoted(names.get(i)));
        }
        return out.append(names.size() > shown ? ", ... " + (names.size() - shown) + " more]" : "]").toString();
    }

    /** Writes what {@link #check} accepted: optimizer state and counters, plateaus, then parameters. */
    private void apply(ParameterSet model, Map<String, Optimizer<?>> optimizers) {
        optimizers.forEach((name, optimizer) -> optimizer.loadState(this.optimizers.get(name)));
        plateaus(optimizers).forEach((key, plateau) -> plateau.load(plateaus.get(key)));
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
