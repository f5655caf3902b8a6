package dev.anneal.optim;

import dev.anneal.config.Checks;
import dev.anneal.param.GroupSpec;
import dev.anneal.param.ParameterSet;
import dev.anneal.param.Selector;
import dev.anneal.schedule.Schedule;
import dev.anneal.schedule.Schedules;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An optimizer, fully described and validated: default hyperparameters, named groups with their
 * overrides, and the parameters exempt from weight decay. Immutable; {@link #compile} binds it to
 * a model's parameters and returns the runtime that owns the state.
 *
 * @param defaults      complete hyperparameters for parameters of no explicit group
 * @param groups        explicit groups; each trainable parameter may be selected by at most one
 * @param noWeightDecay selectors of parameters whose weight decay is forced to zero, whatever
 *                      their group; each must select some trainable parameter
 */
public record OptimizerSpec<H extends Hyperparams<H>>(H defaults, List<GroupSpec<H>> groups,
                                                      List<Selector> noWeightDecay) {
    /** Name of the group that holds every parameter no explicit group selects. */
    public static final String DEFAULT_GROUP = "default";

    public OptimizerSpec {
        Objects.requireNonNull(defaults, "defaults");
        groups = List.copyOf(groups);
        noWeightDecay = List.copyOf(noWeightDecay);
        Checks checks = new Checks("optimizer");
        defaults.check(checks.at(defaults.rule().name()));
        Set<String> names = new HashSet<>();
        for (GroupSpec<H> group : groups) {
            if (names.add(group.name())) {
                checkGroup(defaults, group, checks);
            } else {
                checks.at(GroupSpec.path(group.name())).fail("", "is declared twice; group names must be unique");
            }
        }
        checks.throwIfAny();
    }

    /**
     * Checks a group's name and its effective values. A problem it inherits from the defaults is
     * reported once, at the defaults, not again for every group.
     */
    static <H extends Hyperparams<H>> void checkGroup(H defaults, GroupSpec<H> group, Checks checks) {
        Checks at = checks.at(GroupSpec.path(group.name()));
        if (group.name().isBlank()) {
            at.fail("", "needs a non-blank name");
        } else if (DEFAULT_GROUP.equals(group.name())) {
            at.fail("", "uses the reserved name \"" + DEFAULT_GROUP + "\"; set defaults on the optimizer itself");
        }
        Checks inherited = new Checks("");
        defaults.check(inherited);
        Checks own = new Checks("");
        defaults.overriddenBy(group.overrides()).check(own);
        String rule = defaults.rule().name();
        own.violations().stream()
                .filter(v -> !inherited.violations().contains(v))
                .forEach(v -> at.at(rule).fail(v.path(), v.problem()));
    }

    public String name() {
        return defaults.rule().name();
    }

    /**
     * Every group's effective hyperparameters by path ({@code default.lr},
     * {@code group["conv"].weightDecay}), schedules and flags alike, defaults first.
     */
    public Map<String, Object> hyperparameters() {
        Map<String, Object> all = new LinkedHashMap<>();
        defaults.fields().forEach((field, value) -> all.put(DEFAULT_GROUP + "." + field, value));
        for (GroupSpec<H> group : groups) {
            defaults.overriddenBy(group.overrides()).fields()
                    .forEach((field, value) -> all.put(GroupSpec.path(group.name()) + "." + field, value));
        }
        return all;
    }

    /** The hyperparameters that vary: {@link #hyperparameters()} without constants and flags. */
    public Map<String, Schedule> scheduled() {
        Map<String, Schedule> scheduled = new LinkedHashMap<>();
        hyperparameters().forEach((path, value) -> {
            if (value instanceof Schedule s && Schedule.constantValue(s).isEmpty()) {
                scheduled.put(path, s);
            }
        });
        return scheduled;
    }

    /**
     * Refuses, before training, a schedule that ends before a run of {@code plannedSteps} does
     * (a one-cycle schedule past its total, a precomputed list too short), naming every one.
     */
    public void checkBudget(long plannedSteps) {
        Checks checks = new Checks("optimizer");
        hyperparameters().forEach((path, value) -> {
            if (value instanceof Schedule schedule) {
                Schedules.checkBudget(checks, path, schedule, plannedSteps);
            }
        });
        checks.throwIfAny();
    }

    /**
     * This spec with every schedule's epochs turned into steps at {@code stepsPerEpoch}
     * ({@code warmup(steps = 500) then cosine(epochs = 10)}); a pipeline does this once it knows
     * its data. Schedules counted in steps are unchanged.
     */
    public OptimizerSpec<H> withStepsPerEpoch(long stepsPerEpoch) {
        if (stepsPerEpoch < 1) {
            throw new dev.anneal.config.InvalidConfigException("optimizer.stepsPerEpoch",
                    "must be at least 1, got " + stepsPerEpoch);
        }
        return mapSchedules(s -> s.inSteps(stepsPerEpoch));
    }

    /** True when some schedule counts epochs, so {@link #withStepsPerEpoch} must come before compiling. */
    public boolean countsEpochs() {
        return hyperparameters().values().stream().anyMatch(v -> v instanceof Schedule s && s.countsEpochs());
    }

    private OptimizerSpec<H> mapSchedules(java.util.function.UnaryOperator<Schedule> f) {
        return new OptimizerSpec<>(defaults.mapSchedules(f),
                groups.stream().map(g -> new GroupSpec<>(g.name(), g.selector(), g.overrides().mapSchedules(f))).toList(),
                noWeightDecay);
    }

    /** Binds this spec to parameters, fused where possible; fails with every grouping problem at once. */
    public Optimizer<H> compile(ParameterSet parameters) {
        return compile(parameters, Execution.FUSED);
    }

    /** Binds this spec to parameters with the given execution. */
    public Optimizer<H> compile(ParameterSet parameters, Execution execution) {
        Checks checks = new Checks("optimizer");
        hyperparameters().forEach((path, value) -> checks.require(!(value instanceof Schedule s && s.countsEpochs()),
                path, "is a schedule counted in epochs; give the steps per epoch first: "
                        + "spec.withStepsPerEpoch(n).compile(...), or run it in a pipeline, which knows them"));
        checks.throwIfAny();
        return new Optimizer<>(mapSchedules(s -> s.inSteps(0)), parameters, execution);
    }
}
