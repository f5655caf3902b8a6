package dev.anneal.param;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The parameters of a model in a fixed order (the order of {@code block.getParameters()}),
 * keyed by DJL's hierarchical names. Frozen parameters are part of the set; optimizers skip them.
 */
public final class ParameterSet {
    private final List<Param> params;
    private final Map<String, Param> byName;

    private ParameterSet(List<Param> params) {
        Map<String, Param> names = new LinkedHashMap<>();
        for (Param p : params) {
            if (names.put(p.name(), p) != null) {
                throw new IllegalArgumentException("parameter name " + p.name() + " appears twice");
            }
        }
        this.params = List.copyOf(params);
        this.byName = Collections.unmodifiableMap(names);
    }

    /** Reads every parameter of an initialized block, with the layer that owns each one. */
    public static ParameterSet of(Block block) {
        Map<Parameter, String> owner = new IdentityHashMap<>();
        collectOwners(block, owner);
        List<Param> params = new ArrayList<>();
        for (Pair<String, Parameter> entry : block.getParameters()) {
            Parameter p = entry.getValue();
            if (!p.isInitialized()) {
                throw new IllegalStateException("parameter " + entry.getKey()
                        + " is not initialized: call block.initialize(...) or model.newTrainer(...) first");
            }
            params.add(new Param(entry.getKey(), owner.getOrDefault(p, ""), p.getType(),
                    p::getArray, () -> p.requiresGradient() && !isRunningStatistic(p)));
        }
        return new ParameterSet(params);
    }

    /**
     * Plain arrays as parameters, in the map's order; trainable when the array requires gradients.
     * Bias and norm kinds are then recognised by name only.
     */
    public static ParameterSet of(Map<String, NDArray> arrays) {
        List<Param> params = new ArrayList<>();
        arrays.forEach((name, array) -> params.add(
                new Param(name, "", Parameter.Type.OTHER, () -> array, array::hasGradient)));
        return new ParameterSet(params);
    }

    /** BatchNorm's running mean and variance: updated by the forward pass, never by an optimizer. */
    private static boolean isRunningStatistic(Parameter p) {
        return p.getType() == Parameter.Type.RUNNING_MEAN || p.getType() == Parameter.Type.RUNNING_VAR;
    }

    private static void collectOwners(Block block, Map<Parameter, String> owner) {
        String layer = block.getClass().getSimpleName();
        for (Pair<String, Parameter> entry : block.getDirectParameters()) {
            owner.put(entry.getValue(), layer);
        }
        for (Pair<String, Block> child : block.getChildren()) {
            collectOwners(child.getValue(), owner);
        }
    }

    public List<Param> all() {
        return params;
    }

    public List<Param> trainable() {
        return select(Param::isTrainable);
    }

    public List<Param> select(Predicate<Param> predicate) {
        return params.stream().filter(predicate).toList();
    }

    /**
     * The parameters {@code selector} picks, in this set's order: one optimizer's share of a
     * model, such as a GAN's generator. Picking no parameter is an error naming {@code path}.
     */
    public ParameterSet subset(String path, Selector selector) {
        List<Param> picked = select(selector::matches);
        if (picked.isEmpty()) {
            throw new InvalidConfigException(path, "selects no parameter with " + selector + "; names are "
                    + String.join(", ", byName.keySet()));
        }
        return new ParameterSet(picked);
    }

    /**
     * Refuses parts that share a trainable parameter (two optimizers stepping one weight), naming
     * the parameter and both parts. Parts are keyed by name, e.g. the optimizers'.
     */
    public static void checkDisjoint(Map<String, ParameterSet> parts) {
        Map<String, String> claimedBy = new LinkedHashMap<>();
        Checks checks = new Checks("optimizers");
        parts.forEach((part, set) -> {
            for (Param p : set.trainable()) {
                String other = claimedBy.putIfAbsent(p.name(), part);
                checks.require(other == null, part, "shares parameter " + p.name() + " with " + other
                        + "; each parameter may have one optimizer");
            }
        });
        checks.throwIfAny();
    }

    public Optional<Param> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public int size() {
        return params.size();
    }
}
