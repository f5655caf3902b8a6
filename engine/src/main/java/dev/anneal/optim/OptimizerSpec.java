package dev.anneal.optim;

import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;
import dev.anneal.grad.LossScale;
import dev.anneal.grad.NoGradient;
import dev.anneal.grad.NonFinite;
import dev.anneal.grad.Unscale;
import dev.anneal.param.GroupSpec;
import dev.anneal.param.Grouping;
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
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * An optimizer, fully described and validated: its {@link Chain}, default hyperparameters, named
 * groups with their overrides, the parameters exempt from weight decay, its {@link LossScale},
 * what it does with {@link NonFinite} gradients and with parameters that got {@link NoGradient}.
 * Immutable;
 * {@link #compile} binds it to a model's parameters and returns the runtime that owns the state.
 * Two specs are equal when all of these are.
 *
 * @param <G> the type a group's overrides are set on, for {@link Optimizer#addGroup}
 */
public final class OptimizerSpec<G extends Settings<G>> {
    /** Name of the group that holds every parameter no explicit group selects. */
    public static final String DEFAULT_GROUP = "default";

    private final Chain chain;
    private final Hyperparams defaults;
    private final List<GroupSpec<Hyperparams>> groups;
    private final List<Selector> noWeightDecay;
    private final List<String> order;
    private final Supplier<G> newGroup;
    private final LossScale lossScale;
    private final NonFinite nonFinite;
    private final NoGradient noGradient;

    /**
     * @param defaults      complete hyperparameters for parameters of no explicit group
     * @param groups        explicit groups; each trainable parameter may be selected by at most one
     * @param noWeightDecay selectors of parameters whose weight decay is forced to zero, whatever
     *                      their group; each must select some trainable parameter
     * @param order         the parameters by name in the order the optimizer takes them; empty for
     *                      group by group, each in model order
     */
    OptimizerSpec(Chain chain, Hyperparams defaults, List<GroupSpec<Hyperparams>> groups,
                  List<Selector> noWeightDecay, List<String> order, Supplier<G> newGroup, LossScale lossScale,
                  NonFinite nonFinite, NoGradient noGradient) {
        this.chain = Objects.requireNonNull(chain, "chain");
        this.lossScale = Objects.requireNonNull(lossScale, "lossScale");
        this.nonFinite = Objects.requireNonNull(nonFinite, "nonFinite");
        this.noGradient = Objects.requireNonNull(noGradient, "noGradient");
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        this.groups = List.copyOf(groups);
        this.noWeightDecay = List.copyOf(noWeightDecay);
        this.order = List.copyOf(order);
        this.newGroup = newGroup;
        Checks checks = new Checks("optimizer");
        chain.check(defaults, checks.at(chain.name()));
        Set<String> names = new HashSet<>();
        for (GroupSpec<Hyperparams> group : this.groups) {
            if (names.add(group.name())) {
                checkGroup(chain, defaults, group, checks);
            } else {
                checks.at(GroupSpec.path(group.name())).fail("", "is declared twice; group names must be unique");
            }
        }
        if (lossScale.scales()) {
            refuseSecondScale(defaults, checks.at(chain.name()));
            this.groups.forEach(g -> refuseSecondScale(g.overrides(), checks.at(GroupSpec.path(g.name()))));
        }
        checks.throwIfAny();
    }

    /** A rule's own static loss scale (MindSpore's Momentum) beside a {@link LossScale} would divide the gradients twice. */
    private void refuseSecondScale(Hyperparams values, Checks c) {
        Object scale = values.get(Unscale.LOSS_SCALE);
        c.require(scale == null || scale.equals(Schedule.constant(1)), Unscale.LOSS_SCALE.name(), "is " + scale
                + " while lossScale(" + lossScale + ") divides the gradients by its own scale as well; keep one of them");
    }

    /**
     * Checks a group's name and its effective values. A problem it inherits from the defaults is
     * reported once, at the defaults, not again for every group.
     */
    static void checkGroup(Chain chain, Hyperparams defaults, GroupSpec<Hyperparams> group, Checks checks) {
        Checks at = checks.at(GroupSpec.path(group.name()));
        if (group.name().isBlank()) {
            at.fail("", "needs a non-blank name");
        } else if (DEFAULT_GROUP.equals(group.name())) {
            at.fail("", "uses the reserved name \"" + DEFAULT_GROUP + "\"; set defaults on the optimizer itself");
        }
        Checks inherited = new Checks("");
        chain.check(defaults, inherited);
        Checks own = new Checks("");
        chain.check(defaults.overriddenBy(group.overrides()), own);
        own.violations().stream()
                .filter(v -> !inherited.violations().contains(v))
                .forEach(v -> at.at(chain.name()).fail(v.path(), v.problem()));
    }

    public Chain chain() {
        return chain;
    }

    public String name() {
        return chain.name();
    }

    /** Values of parameters in no explicit group. */
    public Hyperparams defaults() {
        return defaults;
    }

    public List<GroupSpec<Hyperparams>> groups() {
        return groups;
    }

    public List<Selector> noWeightDecay() {
        return noWeightDecay;
    }

    /** The parameters by name in the order the optimizer takes them ({@code orderParams}); empty when not given. */
    public List<String> order() {
        return order;
    }

    /** How the loss is scaled, and whether an overflowing step is dropped. */
    public LossScale lossScale() {
        return lossScale;
    }

    /** What a step does with NaN or infinite gradients that the loss scale does not drop. */
    public NonFinite nonFinite() {
        return nonFinite;
    }

    /** What clearing leaves and a step does with a parameter that got no gradient. */
    public NoGradient noGradient() {
        return noGradient;
    }

    /** A group's overrides, set as {@code settings} says: for {@link Optimizer#addGroup}. */
    Hyperparams overrides(java.util.function.Consumer<? super G> settings) {
        return SpecParts.overrides(newGroup, settings);
    }

    /**
     * Every group's effective hyperparameters by path ({@code default.lr},
     * {@code group["conv"].weightDecay}), schedules and flags alike, defaults first.
     */
    public Map<String, Object> hyperparameters() {
        Map<String, Object> all = new LinkedHashMap<>();
        defaults.fields().forEach((field, value) -> all.put(DEFAULT_GROUP + "." + field, value));
        for (GroupSpec<Hyperparams> group : groups) {
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
     * ({@code warmup(steps = 500) then cosine(epochs = 10)}), and every stage's (an average
     * started after 10 epochs); a pipeline does this once it knows its data. What is counted in
     * steps is unchanged.
     */
    public OptimizerSpec<G> withStepsPerEpoch(long stepsPerEpoch) {
        if (stepsPerEpoch < 1) {
            throw new InvalidConfigException("optimizer.stepsPerEpoch", "must be at least 1, got " + stepsPerEpoch);
        }
        return mapSchedules(chain.inSteps(stepsPerEpoch), s -> s.inSteps(stepsPerEpoch));
    }

    /** True when some schedule or stage counts epochs, so {@link #withStepsPerEpoch} must come before compiling. */
    public boolean countsEpochs() {
        return chain.countsEpochs()
                || hyperparameters().values().stream().anyMatch(v -> v instanceof Schedule s && s.countsEpochs());
    }

    private OptimizerSpec<G> mapSchedules(UnaryOperator<Schedule> f) {
        return mapSchedules(chain, f);
    }

    private OptimizerSpec<G> mapSchedules(Chain chain, UnaryOperator<Schedule> f) {
        return new OptimizerSpec<>(chain, defaults.mapSchedules(f),
                groups.stream().map(g -> new GroupSpec<>(g.name(), g.selector(), g.overrides().mapSchedules(f))).toList(),
                noWeightDecay, order, newGroup, lossScale, nonFinite, noGradient);
    }

    /** Binds this spec to parameters, fused where possible; fails with every grouping problem at once. */
    public Optimizer<G> compile(ParameterSet parameters) {
        return compile(parameters, Execution.FUSED);
    }

    /**
     * Every check {@link #compile} makes over these parameters, without compiling: no state is
     * allocated (what a pipeline runs before it casts a model to half precision).
     */
    public void checkOver(ParameterSet parameters) {
        checked(parameters);
    }

    /** The checks of {@link #checkOver}, returning the grouping they found. */
    private Grouping checked(ParameterSet parameters) {
        Checks checks = new Checks("optimizer");
        // As torch.optim refuses an empty parameter list: an optimizer over nothing is a mistake.
        checks.require(parameters.size() > 0, "parameters", "is empty: there is nothing to optimize");
        String steps = "give the steps per epoch first: spec.withStepsPerEpoch(n).compile(...), or run it in a "
                + "pipeline, which knows them";
        hyperparameters().forEach((path, value) -> checks.require(!(value instanceof Schedule s && s.countsEpochs()),
                path, "is a schedule counted in epochs; " + steps));
        chain.stages().stream().filter(Stage::countsEpochs).forEach(stage -> checks.fail(chain.name(), "has "
                + stage + ", which counts epochs; " + steps));
        checks.throwIfAny();
        return Optimizer.group(this, parameters);
    }

    /** Binds this spec to parameters with the given execution. */
    public Optimizer<G> compile(ParameterSet parameters, Execution execution) {
        Grouping grouping = checked(parameters);
        return new Optimizer<>(mapSchedules(s -> s.inSteps(0)), parameters, execution, grouping);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OptimizerSpec<?> other && chain.equals(other.chain) && defaults.equals(other.defaults)
                && groups.equals(other.groups) && noWeightDecay.equals(other.noWeightDecay) && order.equals(other.order)
                && lossScale.equals(other.lossScale) && nonFinite == other.nonFinite
                && noGradient == other.noGradient;
    }

    @Override
    public int hashCode() {
        return Objects.hash(chain.name(), defaults, groups, noWeightDecay, order, lossScale, nonFinite, noGradient);
    }

    @Override
    public String toString() {
        return "OptimizerSpec[" + chain.name() + ", defaults=" + defaults + ", groups=" + groups
                + ", noWeightDecay=" + noWeightDecay + ", order=" + order + ", lossScale=" + lossScale + ", nonFinite=" + nonFinite
                + ", noGradient=" + noGradient + "]";
    }
}
