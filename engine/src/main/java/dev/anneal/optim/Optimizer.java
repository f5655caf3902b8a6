package dev.anneal.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;
import dev.anneal.config.Shown;
import dev.anneal.grad.LossScale;
import dev.anneal.grad.NoGradient;
import dev.anneal.grad.NonFinite;
import dev.anneal.grad.ScaleGradients;
import dev.anneal.param.GroupSpec;
import dev.anneal.param.Grouping;
import dev.anneal.param.Param;
import dev.anneal.param.ParameterSet;
import dev.anneal.param.Selector;
import dev.anneal.schedule.Schedule;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * A compiled optimizer: the groups of one {@link OptimizerSpec} bound to a model's parameters,
 * with the state it updates (moments, buffers) and the one step counter.
 *
 * <p>{@link #step()} advances the step counter once and updates every trainable parameter of
 * every group from its current gradient; {@link #zeroGrad()} clears the gradients (DJL's
 * PyTorch engine adds gradients up over backward calls, which is what makes accumulation work).
 * Schedules are evaluated at the step counter. Besides it, each parameter counts the updates it
 * has received, as PyTorch's per-parameter {@code state["step"]} does: bias correction and
 * momentum start from a parameter's own first update, so a parameter frozen for a while, or one
 * in a group added later with {@link #addGroup}, starts afresh.
 *
 * <p>A frozen parameter is skipped. A parameter that becomes trainable after compiling must
 * join through {@link #addGroup}; until it does, {@link #step()} refuses to run rather than
 * silently leave it behind. A parameter that no backward pass reached since its gradient was
 * cleared is skipped as well, as {@code torch.optim} skips a {@code None} gradient; what clearing
 * leaves is the {@link NoGradient} policy's.
 *
 * <p>Before anything changes, a step reads every gradient for NaN and infinity (unless told to
 * {@link NonFinite#APPLY apply} them): a {@link LossScale} that drops overflows drops such a step,
 * and otherwise the {@link NonFinite} policy stops or skips it. A dropped step changes no
 * parameter, state or step counter and is counted in {@link #skippedSteps()}. With loss scaling,
 * the gradients are multiplied by {@code 1 / }{@link #lossScale()} before any stage reads them.
 *
 * <p>A half-precision parameter (float16, or bfloat16 on a GPU) gets a float32 master copy
 * ({@code "<param>/master"}) and float32 state: the update runs on the master with the gradient
 * widened to float32, and the parameter is then set to the master rounded to its own type, as
 * mixed-precision training keeps weights.
 *
 * <p>Temporaries of each parameter's update live in an {@link NDScope} closed right after it;
 * the state lives in a manager this optimizer owns and frees on {@link #close()}. Not thread-safe.
 */
public final class Optimizer<G extends Settings<G>> implements AutoCloseable {
    /** The state name of a half-precision parameter's float32 master copy. */
    public static final String MASTER = "master";
    private final OptimizerSpec<G> spec;
    private final Hyperparams defaults;
    private final List<Selector> noWeightDecay;
    private final ParameterSet parameters;
    private final Chain chain;
    /** The chain's average of the weights, or null. */
    private final WeightAverage average;
    /** The weights a computed average ({@link WeightAverage#average}) stands in for while swapped in, by parameter. */
    private final Map<String, NDArray> keptWeights = new HashMap<>();
    private final Execution execution;
    private final List<Bucket> buckets = new ArrayList<>();
    private final Map<String, Slot> slotsByParam = new HashMap<>();
    private final Map<String, Hyperparams> groupHyperparams = new LinkedHashMap<>();
    /** Parameters of the set that no group manages: frozen when compiled, or never grouped. */
    private List<Param> unmanaged;
    private NDManager stateManager;
    private final LossScale lossScale;
    private final NonFinite nonFinite;
    private final NoGradient noGradient;
    private LossScale.State scaler;
    private long step;
    private long skipped;
    /** The last step's global gradient norm as its clipping saw it; NaN without clipping or when dropped. */
    private double gradNorm = Double.NaN;
    /** Whether {@link #swapAverages()} has put the averages into the model. */
    private boolean averagesIn;
    private boolean closed;
    /** The optimizer-wide state of a rule that {@link Stage#searches searches} (L-BFGS); empty for any other. */
    private final Map<String, NDArray> searchState;
    /** The chain's optimizer-wide scalars ({@link Stage#sharedNames}), in stage order; null for none or before any parameter is managed. */
    private Scalars shared;
    /** The thread inside a step, a clearing of gradients, a swap of averages or a restore, if any. */
    private final AtomicReference<Thread> busy = new AtomicReference<>();

    /** Over {@code parameters} as {@code grouping} (from {@link #group}) divides them. */
    Optimizer(OptimizerSpec<G> spec, ParameterSet parameters, Execution execution, Grouping grouping) {
        this.spec = spec;
        this.execution = execution;
        this.defaults = spec.defaults();
        this.noWeightDecay = spec.noWeightDecay();
        this.parameters = parameters;
        this.chain = spec.chain();
        this.average = chain.weightAverage();
        this.lossScale = spec.lossScale();
        this.nonFinite = spec.nonFinite();
        this.noGradient = spec.noGradient();
        this.scaler = lossScale.start();
        if (spec.order().isEmpty()) {
            addBuckets(OptimizerSpec.DEFAULT_GROUP, defaults, grouping.rest());
            for (int i = 0; i < spec.groups().size(); i++) {
                GroupSpec<Hyperparams> group = spec.groups().get(i);
                addBuckets(group.name(), defaults.overriddenBy(group.overrides()), grouping.members(i));
            }
        } else {
            addOrderedBuckets(spec, grouping);
        }
        unmanaged = unmanagedParams();
        searchState = searchState();
        startShared();
    }

    /** The chain's optimizer-wide scalars at their starts, with the first group's values ({@link #checkOptimizerWide} passed). */
    private void startShared() {
        List<String> names = chain.stages().stream().flatMap(s -> s.sharedNames().stream()).toList();
        if (names.isEmpty() || buckets.isEmpty() || shared != null) {
            return;
        }
        Hyperparams h = buckets.get(0).hyperparams;
        NDManager manager = stateManager(buckets.get(0).slots.get(0).param.array());
        Scalars scalars = new Scalars(names, new float[names.size()], new NDArray[names.size()]);
        int i = 0;
        for (Stage stage : chain.stages()) {
            for (String name : stage.sharedNames()) {
                scalars.values[i] = (float) stage.startsAt(name, h);
                scalars.tensors[i] = manager.create(scalars.values[i]);
                scalars.tensors[i].setName(name);
                i++;
            }
        }
        NDScope.unregister(scalars.tensors);
        shared = scalars;
    }

    /**
     * Reports a group whose value of a hyperparameter that a stage's optimizer-wide scalars read
     * ({@link Stage#optimizerWide}) differs from the first group's: {@code values} by group name,
     * groups with members only, the first first.
     */
    private static void checkOptimizerWide(Chain chain, Map<String, Hyperparams> values, Checks checks) {
        if (values.isEmpty()) {
            return;
        }
        Map.Entry<String, Hyperparams> first = values.entrySet().iterator().next();
        for (Stage stage : chain.stages()) {
            for (Hyperparameter<?> h : stage.optimizerWide()) {
                values.forEach((group, v) -> checks.at(GroupSpec.path(group)).require(
                        Objects.equals(v.get(h), first.getValue().get(h)), h.name(), "is " + v.get(h) + " where group \""
                                + first.getKey() + "\" has " + first.getValue().get(h) + "; " + chain.typeName()
                                + " keeps one " + String.join(" and ", stage.sharedNames()) + " for all parameters, "
                                + "so " + h.name() + " must be the same in all groups"));
            }
        }
    }

    /** The state of a searching rule, over all parameters as one flat vector ({@link #checkSearch} passed); empty for any other rule. */
    private Map<String, NDArray> searchState() {
        List<Param> params = searched();
        if (!searches() || params.isEmpty()) {
            return Map.of();
        }
        NDArray first = params.get(0).array();
        long size = params.stream().mapToLong(p -> p.array().size()).sum();
        Map<String, NDArray> state = Lbfgs.newState(stateManager(first), size, first.getDataType(), stateDevice(first),
                buckets.get(0).hyperparams);
        NDScope.unregister(state.values().toArray(new NDArray[0]));
        return state;
    }

    /**
     * Reports what a searching rule cannot run with, before anything is allocated: other stages
     * beside it, loss scaling, SKIP, groups with different values, parameters that are not all
     * float32 or all float64 on one device.
     */
    private static void checkSearch(OptimizerSpec<?> spec, Grouping grouping, Checks all) {
        Chain chain = spec.chain();
        if (chain.stages().stream().noneMatch(Stage::searches)) {
            return;
        }
        Checks checks = all.at(chain.name());
        checks.require(chain.stages().size() == 1, "stages", "are " + chain + "; " + chain.name()
                + " moves all parameters along its own direction and takes no gradient tools or weight averages");
        checks.require(!spec.lossScale().scales(), "lossScale", "is set; " + chain.name() + " takes no loss scaling");
        checks.require(spec.nonFinite() != NonFinite.SKIP, "onNonFinite", "is SKIP; " + chain.name()
                + " can only stop on a non-finite first evaluation (STOP) or go on (APPLY)");
        Map<String, Hyperparams> values = valuesOfGroups(spec, grouping);
        List<Param> params = new ArrayList<>(grouping.rest());
        for (int i = 0; i < spec.groups().size(); i++) {
            params.addAll(grouping.members(i));
        }
        checks.require(values.values().stream().distinct().count() <= 1, "groups", "have different values "
                + values + "; " + chain.name() + " has one set of values for all parameters, as in PyTorch");
        if (params.isEmpty()) {
            return;
        }
        NDArray first = params.get(0).array();
        for (Param p : params) {
            NDArray array = p.array();
            checks.require(array.getDataType() == first.getDataType() && (array.getDataType() == DataType.FLOAT32
                    || array.getDataType() == DataType.FLOAT64), "parameters[" + p.name() + "]", "is "
                    + array.getDataType() + "; " + chain.name() + " updates float32 or float64 parameters, all of one "
                    + "type (the first is " + first.getDataType() + ")");
            checks.require(array.getDevice().equals(first.getDevice()), "parameters[" + p.name() + "]",
                    "is on " + array.getDevice() + ", the first on " + first.getDevice()
                            + "; " + chain.name() + " needs them on one device");
        }
    }

    /** Each group's values by name, the default group first, groups with members only. */
    private static Map<String, Hyperparams> valuesOfGroups(OptimizerSpec<?> spec, Grouping grouping) {
        Map<String, Hyperparams> values = new LinkedHashMap<>();
        if (!grouping.rest().isEmpty()) {
            values.put(OptimizerSpec.DEFAULT_GROUP, spec.defaults());
        }
        for (int i = 0; i < spec.groups().size(); i++) {
            if (!grouping.members(i).isEmpty()) {
                values.put(spec.groups().get(i).name(), spec.defaults().overriddenBy(spec.groups().get(i).overrides()));
            }
        }
        return values;
    }

    /** The parameters a searching rule moves, in the order of its flat vector: groups' order, each in model order. */
    private List<Param> searched() {
        return buckets.stream().flatMap(b -> b.slots.stream()).map(Slot::param).toList();
    }

    /** The spec's groups over these parameters; every problem of selection at once, before anything is allocated. */
    static Grouping group(OptimizerSpec<?> spec, ParameterSet parameters) {
        Checks checks = new Checks("optimizer");
        Grouping grouping = Grouping.resolve(spec.groups(), parameters.trainable(), parameters.all(), checks);
        checkShapes(spec.chain(), parameters.trainable(), checks);
        checkOrder(spec.order(), parameters, checks);
        checkSearch(spec, grouping, checks);
        checkOptimizerWide(spec.chain(), valuesOfGroups(spec, grouping), checks);
        List<Selector> noWeightDecay = spec.noWeightDecay();
        for (int i = 0; i < noWeightDecay.size(); i++) {
            Selector selector = noWeightDecay.get(i);
            checks.require(parameters.trainable().stream().anyMatch(selector::matches), "noWeightDecayOn[" + i + "]",
                    "selects no trainable parameter (selector " + selector + ")");
        }
        checks.throwIfAny();
        return grouping;
    }

    /**
     * Reports an {@code orderParams} that is not every trainable parameter once: a name of no
     * parameter, a frozen one, one given twice, or trainable ones it leaves out.
     */
    private static void checkOrder(List<String> order, ParameterSet parameters, Checks checks) {
        if (order.isEmpty()) {
            return;
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < order.size(); i++) {
            String name = order.get(i);
            Optional<Param> p = parameters.get(name);
            String path = "orderParams[" + i + "]";
            if (p.isEmpty()) {
                checks.fail(path, "is " + Shown.quoted(name) + ", which is no parameter of the model");
            } else if (!p.get().isTrainable()) {
                checks.fail(path, "is " + Shown.quoted(name) + ", which is frozen; the order lists the trainable ones");
            } else if (!seen.add(name)) {
                checks.fail(path, "is " + Shown.quoted(name) + " again; each parameter comes once");
            }
        }
        List<String> missing = parameters.trainable().stream().map(Param::name).filter(n -> !seen.contains(n)).toList();
        checks.require(missing.isEmpty(), "orderParams", "leaves out the trainable parameters " + missing
                + "; it must list every one");
    }

    /** Reports each parameter whose shape a stage cannot update (Muon's matrices only). */
    private static void checkShapes(Chain chain, List<Param> params, Checks checks) {
        for (Param p : params) {
            for (Stage stage : chain.stages()) {
                String refusal = stage.refuses(p.shape());
                if (refusal != null) {
                    checks.fail("parameters[" + p.name() + "]", refusal);
                }
            }
        }
    }

    private List<Param> unmanagedParams() {
        return parameters.all().stream().filter(p -> !slotsByParam.containsKey(p.name())).toList();
    }

    /**
     * Adds a group of parameters that no group manages yet, typically ones just unfrozen for
     * fine-tuning, with its own values: {@code addGroup("backbone", Selector.layer(Conv2d.class), g -> g.lr(1e-5))}.
     * Other groups' state is untouched.
     */
    public void addGroup(String name, Selector selector, Consumer<? super G> settings) {
        ensureOpen();
        if (searches()) {
            throw new InvalidConfigException("optimizer." + chain.name(), "keeps one history over the parameters it "
                    + "was compiled with and cannot take a group added later; compile a new one");
        }
        GroupSpec<Hyperparams> group = new GroupSpec<>(name, selector, spec.overrides(settings));
        Checks checks = new Checks("optimizer");
        OptimizerSpec.checkGroup(chain, defaults, group, checks);
        if (groupHyperparams.containsKey(group.name()) && !OptimizerSpec.DEFAULT_GROUP.equals(group.name())) {
            checks.at(GroupSpec.path(group.name())).fail("", "already exists; group names must be unique");
        }
        List<Param> candidates = parameters.trainable().stream()
                .filter(p -> !slotsByParam.containsKey(p.name())).toList();
        Grouping grouping = Grouping.resolve(List.of(group), candidates, parameters.all(), checks);
        checkShapes(chain, grouping.members(0), checks);
        Hyperparams values = defaults.overriddenBy(group.overrides());
        if (!grouping.members(0).isEmpty()) {
            Map<String, Hyperparams> all = new LinkedHashMap<>(groupHyperparams);
            all.put(group.name(), values);
            checkOptimizerWide(chain, all, checks);
        }
        checks.throwIfAny();
        addBuckets(group.name(), values, grouping.members(0));
        unmanaged = unmanagedParams();
        startShared();
    }

    private void addBuckets(String group, Hyperparams hyperparams, List<Param> members) {
        if (members.isEmpty()) {
            return;
        }
        groupHyperparams.put(group, hyperparams);
        Hyperparams undecayed = hyperparams.with(Hyperparameter.WEIGHT_DECAY, Schedule.constant(0));
        for (boolean exempt : new boolean[] {false, true}) {
            Map<Hyperparams, List<Param>> byValues = new LinkedHashMap<>();
            for (Param p : members) {
                if (exempt(p) == exempt) {
                    byValues.computeIfAbsent(valuesFor(p, exempt ? undecayed : hyperparams), v -> new ArrayList<>()).add(p);
                }
            }
            byValues.forEach((values, params) -> addBucket(group, values, params));
        }
    }

    /**
     * Buckets in the spec's {@link OptimizerSpec#order order}: each run of consecutive parameters
     * with one group and one set of values is a bucket, so that updates, reductions and the state
     * follow the order exactly.
     */
    private void addOrderedBuckets(OptimizerSpec<G> spec, Grouping grouping) {
        Map<String, String> groupOf = new HashMap<>();
        Map<String, Hyperparams> valuesOf = new HashMap<>();
        for (int i = -1; i < spec.groups().size(); i++) {
            String group = i < 0 ? OptimizerSpec.DEFAULT_GROUP : spec.groups().get(i).name();
            Hyperparams h = i < 0 ? defaults : defaults.overriddenBy(spec.groups().get(i).overrides());
            Hyperparams undecayed = h.with(Hyperparameter.WEIGHT_DECAY, Schedule.constant(0));
            List<Param> members = i < 0 ? grouping.rest() : grouping.members(i);
            if (!members.isEmpty()) {
                groupHyperparams.put(group, h);
            }
            for (Param p : members) {
                groupOf.put(p.name(), group);
                valuesOf.put(p.name(), valuesFor(p, exempt(p) ? undecayed : h));
            }
        }
        List<Param> run = new ArrayList<>();
        for (String name : spec.order()) {
            Param p = parameters.get(name).orElseThrow();
            if (!run.isEmpty() && !(groupOf.get(name).equals(groupOf.get(run.get(0).name()))
                    && valuesOf.get(name).equals(valuesOf.get(run.get(0).name())))) {
                addBucket(groupOf.get(run.get(0).name()), valuesOf.get(run.get(0).name()), run);
                run = new ArrayList<>();
            }
            run.add(p);
        }
        addBucket(groupOf.get(run.get(0).name()), valuesOf.get(run.get(0).name()), run);
    }

    /** The values {@code p} is updated with: its group's, as each stage sets them for it. */
    private Hyperparams valuesFor(Param p, Hyperparams h) {
        Hyperparams values = h;
        for (Stage stage : chain.stages()) {
            values = stage.forParameter(p, values);
        }
        return values;
    }

    private boolean exempt(Param p) {
        return noWeightDecay.stream().anyMatch(s -> s.matches(p));
    }

    private void addBucket(String group, Hyperparams hyperparams, List<Param> members) {
        if (members.isEmpty()) {
            return;
        }
        Bucket bucket = new Bucket(group, hyperparams, members.size());
        List<String> stateNames = chain.stateNames(hyperparams);
        List<NDArray[]> states = newState(members, hyperparams, stateNames, chain.stateStarts(hyperparams));
        List<String> scalarNames = chain.scalarNames(hyperparams);
        List<Double> scalarStarts = chain.scalarStarts(hyperparams);
        for (int i = 0; i < members.size(); i++) {
            Param p = members.get(i);
            Scalars scalars = new Scalars(scalarNames, new float[scalarNames.size()], new NDArray[scalarNames.size()]);
            for (int s = 0; s < scalarNames.size(); s++) {
                scalars.values[s] = scalarStarts.get(s).floatValue();
                scalars.tensors[s] = stateManager(p.array()).create(scalars.values[s]);
                scalars.tensors[s].setName(p.name() + "/" + scalarNames.get(s));
            }
            NDScope.unregister(scalars.tensors);
            Slot slot = new Slot(p, bucket, i, stateNames, states.get(i), scalars, master(p));
            bucket.slots.add(slot);
            slotsByParam.put(slot.param.name(), slot);
        }
        if (execution == Execution.FUSED && chain.elementwise()) {
            bucket.fused = FusedBucket.of(members, states, chain.wholeRows(hyperparams), noGradient);
        } else if (execution == Execution.FUSED && chain.hasFusedForms()) {
            bucket.fusedForms = members.stream().allMatch(p -> FusedBucket.fusable(p.array()));
        }
        buckets.add(bucket);
    }

    /** A float32 copy of a half-precision parameter, owned by this optimizer; null for any other. */
    private NDArray master(Param p) {
        NDArray weight = p.array();
        if (!isHalf(weight.getDataType())) {
            return null;
        }
        NDArray master = weight.toType(DataType.FLOAT32, true).toDevice(stateDevice(weight), false);
        master.attach(stateManager(weight));
        master.setName(p.name() + "/" + MASTER);
        NDScope.unregister(master);
        return master;
    }

    private static boolean isHalf(DataType type) {
        return type == DataType.FLOAT16 || type == DataType.BFLOAT16;
    }

    /**
     * State for each member, each array filled with where it starts (zero, mostly). When the
     * members share a type and a device, each state name is one contiguous array for the whole
     * bucket and members get views of it.
     */
    private List<NDArray[]> newState(List<Param> members, Hyperparams hyperparams, List<String> stateNames,
                                     List<Double> starts) {
        NDArray first = members.get(0).array();
        Device home = stateDevice(first);
        boolean uniform = members.stream().map(Param::array).allMatch(a ->
                a.getDataType() == first.getDataType() && a.getDevice().equals(first.getDevice()));
        NDManager manager = stateManager(first);
        List<NDArray[]> states = new ArrayList<>();
        List<NDArray> flats = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            states.add(new NDArray[stateNames.size()]);
        }
        List<List<Shape>> shapes = members.stream().map(p -> chain.stateShapes(p.shape(), hyperparams)).toList();
        for (int s = 0; s < stateNames.size(); s++) {
            float start = starts.get(s).floatValue();
            int index = s;
            long total = shapes.stream().mapToLong(own -> own.get(index).size()).sum();
            NDArray flat = uniform ? manager.full(new Shape(total), start, stateType(first.getDataType()), home) : null;
            long offset = 0;
            for (int i = 0; i < members.size(); i++) {
                NDArray weight = members.get(i).array();
                Shape shape = shapes.get(i).get(s);
                long size = shape.size();
                NDArray state = flat != null
                        ? flat.get(new NDIndex(offset + ":" + (offset + size))).reshape(shape)
                        : manager.full(shape, start, stateType(weight.getDataType()), stateDevice(weight));
                state.setName(members.get(i).name() + "/" + stateNames.get(s));
                states.get(i)[s] = state;
                offset += size;
            }
            if (flat != null) {
                flats.add(flat);
            }
        }
        // The caller may have an NDScope open; the state must outlive it.
        states.forEach(NDScope::unregister);
        NDScope.unregister(flats.toArray(new NDArray[0]));
        return states;
    }

    /** State is kept in float32 for half-precision parameters, as their masters are. */
    private static DataType stateType(DataType weight) {
        return isHalf(weight) ? DataType.FLOAT32 : weight;
    }

    private NDManager stateManager(NDArray like) {
        if (stateManager == null) {
            stateManager = NDManager.newBaseManager(stateDevice(like), like.getManager().getEngine().getEngineName());
        }
        return stateManager;
    }

    /** Where the state of a parameter on {@code like}'s device lives: there, or on the host when offloaded. */
    private Device stateDevice(NDArray like) {
        return execution == Execution.OFFLOAD ? Device.cpu() : like.getDevice();
    }

    /**
     * Advances the step counter once and updates every trainable parameter from its gradient.
     * All or nothing: every group's values are computed and checked, the gradients checked for
     * NaN and infinity, and every reduction a stage needs is taken, before any parameter, state or
     * counter changes; a refused step changes nothing, a dropped one only the loss scale and
     * {@link #skippedSteps()}.
     */
    public void step() {
        exclusive(this::stepOnce);
    }

    private void stepOnce() {
        ensureOpen();
        if (searches()) {
            throw new IllegalStateException(chain.name() + " evaluates the loss several times a step: call "
                    + "step(closure), with a closure that clears the gradients, computes the loss and its gradients "
                    + "and returns the loss");
        }
        refuseSwapped();
        refuseUnmanaged();
        refuseReleased(true);
        long next = step + 1;
        buckets.forEach(b -> checkScheduled(b, next));
        buckets.forEach(this::findLive);
        Passes passes = passes(next, lossScale.dropOverflow() || nonFinite != NonFinite.APPLY);
        if (passes == null) {
            if (!lossScale.dropOverflow() && nonFinite == NonFinite.STOP) {
                throw nonFiniteGradients(next);
            }
            scaler = lossScale.after(scaler, false);
            skipped++;
            gradNorm = Double.NaN;
            return;
        }
        step = next;
        gradNorm = passes.norm();
        if (passes.shared() != null) {
            System.arraycopy(passes.shared(), 0, shared.values, 0, shared.values.length);
        }
        scaler = lossScale.after(scaler, true);
        for (int i = 0; i < buckets.size(); i++) {
            Bucket bucket = buckets.get(i);
            Hyperparams h = bucket.hyperparams;
            List<List<Stage>> pass = passes.stages().get(i);
            forUpdate(bucket, pass, next);
            if (bucket.fused != null) {
                bucket.fused.step(bucket.updates, bucket.live,
                        kernels(pass, (stages, count) -> chain.kernel(stages, h, next, count)));
                continue;
            }
            for (Slot slot : bucket.slots) {
                if (bucket.live[slot.index]) {
                    try (NDScope ignored = new NDScope()) {
                        NDArray weight = slot.param.array();
                        apply(slot, pass.get(slot.index), h, weight, weight.getGradient());
                    }
                }
            }
        }
    }

    /**
     * The kernels {@code build} makes of each parameter's stages, built once per distinct list and
     * update count: a bucket's parameters share one list unless a stage reduced per tensor.
     */
    private static FusedBucket.SlotKernels kernels(List<List<Stage>> bySlot,
                                                   BiFunction<List<Stage>, Long, ElementKernel> build) {
        Map<List<Stage>, Map<Long, ElementKernel>> built = new IdentityHashMap<>();
        // The common case, every slot on one list and count, skips the maps: thousands of small
        // tensors ask once each per step. Called on the stepping thread only.
        LastKernel last = new LastKernel();
        return (slot, count) -> {
            List<Stage> stages = bySlot.get(slot);
            if (last.stages != stages || last.count != count) {
                last.stages = stages;
                last.count = count;
                last.kernel = built.computeIfAbsent(stages, s -> new HashMap<>())
                        .computeIfAbsent(count, c -> build.apply(stages, c));
            }
            return last.kernel;
        };
    }

    /**
     * The stages each parameter runs this step, by bucket and slot: the unscaling of a loss scale,
     * then the chain's, with every reducing stage replaced by what its total makes of it (one
     * stage for a bucket, or one per parameter for a total per tensor). Totals are folded in
     * bucket and parameter order, so they are the same on every run. The first reduction over all
     * gradients gives the norm that {@link #gradNorm()} reports once the step is taken. With
     * {@code check}, null when a gradient holds NaN or infinity; the first reduction's read of the
     * gradients checks them too, so clipping costs no read of its own for the check.
     */
    private Passes passes(long next, boolean check) {
        List<Stage> base = new ArrayList<>();
        if (lossScale.scales()) {
            base.add(new ScaleGradients(scaler.unscale()));
        }
        int offset = base.size();
        base.addAll(chain.stages());
        bindShared(base, offset);
        List<SlotStages> passes = new ArrayList<>();
        List<List<Integer>> reducing = new ArrayList<>();
        Set<Integer> positions = new TreeSet<>();
        for (Bucket bucket : buckets) {
            passes.add(new SlotStages(bucket.slots.size(), new ArrayList<>(base)));
            reducing.add(chain.reducing(bucket.hyperparams).stream().map(p -> p + offset).toList());
            positions.addAll(reducing.get(reducing.size() - 1));
        }
        if (check && positions.isEmpty()) {
            for (int i = 0; i < buckets.size(); i++) {
                if (partial(buckets.get(i), passes.get(i), 0, next, List.of(), true).nonFinite()) {
                    return null;
                }
            }
        }
        double norm = Double.NaN;
        float[] sharedAfter = null;
        for (int p : positions) {
            Stage stage = base.get(p);
            Map<List<Object>, Double> totals = new HashMap<>();
            FusedBucket.Folded[] partials = new FusedBucket.Folded[buckets.size()];
            Reduction.Fold fold = null;
            double all = 0;
            boolean found = false;
            for (int i = 0; i < buckets.size(); i++) {
                Bucket bucket = buckets.get(i);
                if (reducing.get(i).contains(p)) {
                    List<Reduction> reductions = stage.reductions(bucket.hyperparams);
                    partials[i] = partial(bucket, passes.get(i), p, next, reductions, check);
                    found |= partials[i].nonFinite();
                    for (int r = 0; r < reductions.size(); r++) {
                        Reduction reduction = reductions.get(r);
                        if (reduction.scope() != Reduction.Scope.TENSOR) {
                            totals.merge(key(r, reduction, bucket), partials[i].totals()[r], reduction.fold()::combine);
                        }
                    }
                    // The norm reported is that of the stage's first reduction of the gradients.
                    for (int r = 0; r < reductions.size(); r++) {
                        if (reductions.get(r).measure() == Reduction.Measure.GRADIENT) {
                            fold = fold == null ? reductions.get(r).fold() : fold;
                            all = fold == reductions.get(r).fold() ? fold.combine(all, partials[i].totals()[r]) : Double.NaN;
                            break;
                        }
                    }
                } else if (check) {
                    found |= partial(buckets.get(i), passes.get(i), 0, next, List.of(), true).nonFinite();
                }
            }
            if (found) {
                return null;
            }
            check = false;
            if (Double.isNaN(norm) && fold != null) {
                norm = fold.norm(all);
            }
            for (int i = 0; i < buckets.size(); i++) {
                if (partials[i] != null) {
                    Stage reduced = reduce(buckets.get(i), passes.get(i), p, stage, partials[i], totals, next);
                    if (sharedAfter == null && !stage.sharedNames().isEmpty()) {
                        sharedAfter = reduced.sharedAfter();
                    }
                }
            }
        }
        return new Passes(passes, norm, sharedAfter);
    }

    /** Puts each stage of {@code base} from {@code offset} on that keeps optimizer-wide scalars in its place bound to their values. */
    private void bindShared(List<Stage> base, int offset) {
        if (shared == null) {
            return;
        }
        int at = 0;
        for (int p = offset; p < base.size(); p++) {
            int n = base.get(p).sharedNames().size();
            if (n > 0) {
                base.set(p, base.get(p).withShared(Arrays.copyOfRange(shared.values, at, at + n)));
                at += n;
            }
        }
    }

    /**
     * Each live parameter's stages bound to its scalars for this update ({@link Stage#forUpdate}),
     * which advance; parameters whose bindings are equal share one list, and so one kernel.
     */
    private void forUpdate(Bucket bucket, List<List<Stage>> bySlot, long next) {
        if (bucket.slots.get(0).scalars.values.length == 0) {
            return;
        }
        Map<List<Stage>, List<Stage>> shared = new HashMap<>();
        for (Slot slot : bucket.slots) {
            if (bucket.live[slot.index]) {
                List<Stage> bound = chain.forUpdate(bySlot.get(slot.index), slot.scalars.values, bucket.hyperparams, next,
                        bucket.updates[slot.index] + 1);
                bySlot.set(slot.index, shared.computeIfAbsent(bound, b -> b));
            }
        }
    }

    /** Where the total of a bucket's {@code index}-th reduction is combined: with the same reduction of the other buckets in its scope. */
    private static List<Object> key(int index, Reduction reduction, Bucket bucket) {
        return List.of(index, reduction, reduction.scope() == Reduction.Scope.GROUP ? bucket.group : "");
    }

    /**
     * Puts the reducing stage at {@code p} of a bucket's lists in their place for this step: one
     * stage for the bucket, which it returns, or one per parameter when a reduction is per tensor
     * (then null).
     */
    private static Stage reduce(Bucket bucket, SlotStages bySlot, int p, Stage stage, FusedBucket.Folded partial,
                               Map<List<Object>, Double> totals, long next) {
        List<Reduction> reductions = stage.reductions(bucket.hyperparams);
        if (reductions.stream().noneMatch(r -> r.scope() == Reduction.Scope.TENSOR)) {
            double[] shared = new double[reductions.size()];
            for (int r = 0; r < reductions.size(); r++) {
                shared[r] = totals.get(key(r, reductions.get(r), bucket));
            }
            Stage reduced = stage.reduced(bucket.hyperparams, next, shared);
            bySlot.distinct().forEach(stages -> stages.set(p, reduced));
            return reduced;
        }
        for (Slot slot : bucket.slots) {
            if (bucket.live[slot.index]) {
                double[] own = new double[reductions.size()];
                for (int r = 0; r < reductions.size(); r++) {
                    own[r] = reductions.get(r).scope() == Reduction.Scope.TENSOR ? partial.bySlot()[r][slot.index]
                            : totals.get(key(r, reductions.get(r), bucket));
                }
                List<Stage> stages = new ArrayList<>(bySlot.get(slot.index));
                stages.set(p, reducedFor(slot, stage, next, own));
                bySlot.set(slot.index, stages);
            }
        }
        return null;
    }

    /** A stage reduced over one parameter's own totals; a refusal names the parameter. */
    private static Stage reducedFor(Slot slot, Stage stage, long next, double[] totals) {
        try {
            return stage.reduced(slot.bucket.hyperparams, next, totals);
        } catch (ArithmeticException e) {
            throw new ArithmeticException(slot.param.name() + ": " + e.getMessage());
        }
    }

    /** The kernel {@link #kernels} gave last, for the list and count it gave it for (counts start at 1). */
    private static final class LastKernel {
        List<Stage> stages;
        long count = -1;
        ElementKernel kernel;
    }

    /**
     * Each parameter's stages for one step, by bucket and slot, the norm of the first reduction
     * over all gradients (NaN for none), and the optimizer-wide scalars after the step (null when
     * they stay).
     */
    private record Passes(List<SlotStages> stages, double norm, float[] shared) {
    }

    /** Which of a bucket's parameters this step updates: trainable, with a gradient. */
    private void findLive(Bucket bucket) {
        if (bucket.fused != null) {
            bucket.live = bucket.fused.live();
            return;
        }
        for (Slot slot : bucket.slots) {
            bucket.live[slot.index] = slot.param.isTrainable() && !Gradients.none(slot.param.array());
        }
    }

    /** Names, with their counts, the gradients that hold NaN or infinity; read only to explain a refusal. */
    private ArithmeticException nonFiniteGradients(long next) {
        List<String> found = new ArrayList<>();
        for (Bucket bucket : buckets) {
            for (Slot slot : bucket.slots) {
                if (bucket.live[slot.index]) {
                    try (NDScope ignored = new NDScope()) {
                        NDArray g = slot.param.array().getGradient();
                        long bad = FiniteCheck.count(g);
                        if (bad > 0) {
                            found.add(slot.param.name() + " (" + bad + " of " + g.size() + " values)");
                        }
                    }
                }
            }
        }
        int shown = Math.min(found.size(), 10);
        String names = String.join(", ", found.subList(0, shown))
                + (found.size() > shown ? " and " + (found.size() - shown) + " more parameters" : "");
        return new ArithmeticException("the gradients of " + names + " are NaN or infinite at step " + next
                + "; nothing was updated (onNonFinite = STOP; SKIP drops such steps and counts them)");
    }

    /**
     * A bucket's share of the {@code reductions} of the stage at {@code at}: each one's values
     * (its trainable gradients after the first {@code at} of each parameter's stages, its weights,
     * or what the stage measures) folded, all in one read; with {@code check}, also whether the
     * gradients came in with NaN or infinity. No reductions only checks.
     */
    private FusedBucket.Folded partial(Bucket bucket, List<List<Stage>> bySlot, int at, long next,
                                       List<Reduction> reductions, boolean check) {
        Hyperparams h = bucket.hyperparams;
        int measures = (int) reductions.stream().filter(r -> r.measure() == Reduction.Measure.STAGE).count();
        if (bucket.fused != null) {
            FusedBucket.SlotKernels before = at == 0 || reductions.isEmpty() ? null
                    : kernels(bySlot, (stages, count) -> chain.kernel(stages.subList(0, at), h, next, count));
            List<FusedBucket.SlotKernels> measure = new ArrayList<>();
            for (int which = 0; which < measures; which++) {
                int w = which;
                measure.add(kernels(bySlot, (stages, count) -> chain.measure(stages, at, h, next, count, w)));
            }
            return bucket.fused.reduce(bucket.updates, bucket.live, before, measure, reductions, check);
        }
        double[] totals = new double[reductions.size()];
        double[][] perSlot = new double[reductions.size()][bucket.slots.size()];
        boolean nonFinite = false;
        for (Slot slot : bucket.slots) {
            if (bucket.live[slot.index]) {
                try (NDScope ignored = new NDScope()) {
                    NDArray weight = slot.param.array();
                    long count = bucket.updates[slot.index] + 1;
                    NDArray working = slot.working(weight);
                    NDArray grad = slot.widened(weight.getGradient()).toDevice(working.getDevice(), false);
                    nonFinite |= check && FiniteCheck.count(grad) > 0;
                    if (reductions.isEmpty()) {
                        continue;
                    }
                    List<Stage> stages = bySlot.get(slot.index);
                    NDArray g = chain.apply(stages.subList(0, at), working, grad, new NDArray[0], h, next, count);
                    // The measure reads the state where it lives (on the host when offloaded).
                    Device store = slot.state.length > 0 ? slot.state[0].getDevice() : working.getDevice();
                    NDArray storedWeight = measures > 0 ? working.toDevice(store, false) : null;
                    NDArray storedGrad = measures > 0 ? g.toDevice(store, false) : null;
                    int which = 0;
                    for (int r = 0; r < reductions.size(); r++) {
                        Reduction reduction = reductions.get(r);
                        NDArray values = switch (reduction.measure()) {
                            case GRADIENT -> g;
                            case WEIGHT -> working;
                            case STAGE -> chain.measure(stages, at, storedWeight, storedGrad, slot.state, h, next, count,
                                    which++);
                        };
                        perSlot[r][slot.index] = values.size() == 0 ? 0 : reduction.fold().tensor(values);
                        totals[r] = reduction.fold().combine(totals[r], perSlot[r][slot.index]);
                    }
                }
            }
        }
        return new FusedBucket.Folded(totals, perSlot, nonFinite);
    }

    /**
     * PyTorch's {@code optimizer.step(closure)}: evaluates {@code closure}, which clears the
     * gradients and recomputes the loss and its gradients (forward and backward), then updates.
     * First-order rules evaluate it once, before the update; a rule that searches along a
     * direction (LBFGS) evaluates it as often as it needs. Returns the loss of the first evaluation.
     */
    public double step(DoubleSupplier closure) {
        Objects.requireNonNull(closure, "closure");
        ensureOpen();
        if (searches()) {
            double[] loss = new double[1];
            exclusive(() -> loss[0] = search(closure));
            return loss[0];
        }
        double loss = closure.getAsDouble();
        step();
        return loss;
    }

    /** Refuses, under {@link NonFinite#STOP}, a first evaluation whose loss or gradients are not finite. */
    private void checkFirstEvaluation(double loss, List<Param> params, long next) {
        if (nonFinite != NonFinite.STOP) {
            return;
        }
        if (!Double.isFinite(loss)) {
            throw new ArithmeticException("the loss is " + loss + " at step " + next
                    + "; nothing was updated (onNonFinite = STOP)");
        }
        if (params.stream().anyMatch(p -> !Gradients.none(p.array()) && FiniteCheck.count(p.array().getGradient()) > 0)) {
            buckets.forEach(this::findLive); // the refusal names the live parameters
            throw nonFiniteGradients(next);
        }
    }

    /**
     * True when the rule evaluates the closure itself, as often as it needs (L-BFGS): then
     * {@link #step(DoubleSupplier)} is its only step.
     */
    public boolean searches() {
        return chain.stages().stream().anyMatch(Stage::searches);
    }

    /**
     * One step of a searching rule: the closure's first evaluation is checked as {@link #step()}
     * checks gradients (a refusal changes nothing), then the rule moves every parameter. Later
     * evaluations are the rule's own, as in PyTorch: a closure that fails among them leaves the
     * parameters where the search had taken them.
     */
    private double search(DoubleSupplier closure) {
        refuseSwapped();
        refuseUnmanaged();
        refuseReleased(false);
        long next = step + 1;
        buckets.forEach(b -> checkScheduled(b, next));
        if (searchState.isEmpty()) {
            double loss = closure.getAsDouble();
            step = next;
            return loss;
        }
        List<Param> params = searched();
        double loss;
        try (NDScope ignored = new NDScope()) {
            FlatParameters problem = new FlatParameters(params, searchState.get("d").getDevice(), closure,
                    first -> checkFirstEvaluation(first, params, next));
            loss = Lbfgs.step(problem, searchState, buckets.get(0).hyperparams, next);
        }
        step = next;
        buckets.forEach(b -> b.slots.forEach(slot -> b.updates[slot.index]++));
        return loss;
    }

    /**
     * Updates one parameter with an explicit gradient at the current step, for callers that
     * drive the loop per parameter (the DJL adapter). Temporaries are the caller's to scope.
     */
    void update(String paramName, NDArray weight, NDArray grad) {
        ensureOpen();
        refuseSwapped();
        Slot slot = slotsByParam.get(paramName);
        if (slot == null) {
            throw unmanaged(List.of(paramName));
        }
        if (slot.param.isTrainable() && !Gradients.none(weight)) {
            refuseReleased(slot.param);
            checkScheduled(slot.bucket, step);
            Hyperparams h = slot.bucket.hyperparams;
            if (!chain.reducing(h).isEmpty() || lossScale.scales() || nonFinite == NonFinite.SKIP) {
                throw new IllegalStateException(chain + " reduces over all gradients before its update (clipping by "
                        + "a norm, loss scaling, skipping non-finite steps), which a parameter-by-parameter update "
                        + "cannot do; use step()");
            }
            if (nonFinite == NonFinite.STOP && FiniteCheck.count(grad) > 0) {
                throw new ArithmeticException("the gradient of " + paramName + " is NaN or infinite at step " + step
                        + "; it was not updated (parameters updated one by one: those before it in this step were)");
            }
            apply(slot, chain.forUpdate(chain.stages(), slot.scalars.values, h, step, slot.bucket.updates[slot.index] + 1),
                    h, weight, grad);
        }
    }

    /** Clears one weight's gradient as {@link #zeroGrad()} would, for callers that update parameters one by one. */
    void clearGradient(NDArray weight) {
        Gradients.clear(weight, noGradient);
    }

    /** Starts a step for callers that update parameters one by one; returns the new count. */
    long advance() {
        ensureOpen();
        refuseSwapped();
        return ++step;
    }

    /** The rule's name, as error paths and saved states give it: {@code "adamw"}. */
    public String name() {
        return chain.name();
    }

    /** Whether a parameter of this name is managed by a group. */
    boolean manages(String paramName) {
        return slotsByParam.containsKey(paramName);
    }

    private void apply(Slot slot, List<Stage> pass, Hyperparams h, NDArray weight, NDArray grad) {
        long count = ++slot.bucket.updates[slot.index];
        if (slot.bucket.fusedForms) {
            pass = Chain.fusedForms(pass);
        }
        NDArray working = slot.working(weight);
        if (execution != Execution.OFFLOAD || slot.master != null) {
            chain.apply(pass, working, slot.widened(grad).toDevice(working.getDevice(), false), slot.state, h, step, count);
            slot.refresh();
            return;
        }
        // Offloaded: the update runs in the host store on copies; only the new weights go back.
        NDArray host = onHost(weight);
        chain.apply(pass, host, onHost(grad), slot.state, h, step, count);
        slot.param.assign(host);
    }

    /**
     * A copy of {@code array} in host memory. libtorch's {@code to()} returns the tensor itself
     * when it is already there, whatever DJL's copy flag says, so a host array is cloned instead.
     */
    private static NDArray onHost(NDArray array) {
        return array.getDevice().equals(Device.cpu()) ? array.duplicate() : array.toDevice(Device.cpu(), false);
    }

    /** Scheduled values are checked as they come, with the rules constants are checked by before training. */
    private void checkScheduled(Bucket bucket, long step) {
        if (bucket.scheduled) {
            String group = bucket.group.equals(OptimizerSpec.DEFAULT_GROUP) ? "" : GroupSpec.path(bucket.group) + ".";
            Checks checks = new Checks("optimizer." + group + chain.name()).atStep(step);
            chain.check(bucket.hyperparams, checks);
            checks.throwIfAny();
        }
    }

    private void refuseUnmanaged() {
        List<String> names = unmanaged.stream().filter(Param::isTrainable).map(Param::name).toList();
        if (!names.isEmpty()) {
            throw unmanaged(names);
        }
    }

    /**
     * Refuses, before touching memory, parameters whose arrays were closed (their manager closed,
     * a model unloaded): the fused path would write into freed memory. {@code exceptFused} leaves
     * the fused buckets to {@link FusedBucket#live()}, which a step calls before any change and
     * which refuses them in its own pass over the parameters: thousands of small tensors are
     * thousands of cache misses a pass.
     */
    private void refuseReleased(boolean exceptFused) {
        // Every slot, frozen or not: asking whether a parameter is trainable is a native call,
        // and 10,000 of them would cost more than a small model's step.
        for (Bucket bucket : buckets) {
            if (exceptFused && bucket.fused != null) {
                continue;
            }
            for (Slot slot : bucket.slots) {
                refuseReleased(slot.param);
            }
        }
    }

    static void refuseReleased(Param param) {
        if (param.array().isReleased()) {
            throw new IllegalStateException("parameter " + param.name() + ": its array is closed (was its NDManager "
                    + "closed?); compile an optimizer over the model's live parameters");
        }
    }

    /**
     * Runs {@code action} as the only call inside this optimizer: a second thread is refused
     * rather than interleaved with it. The same thread may re-enter (a step's closure clears the
     * gradients).
     */
    private void exclusive(Runnable action) {
        Thread me = Thread.currentThread();
        Thread owner = busy.get();
        if (owner == me) {
            action.run();
            return;
        }
        if (!busy.compareAndSet(null, me)) {
            throw new IllegalStateException("this optimizer is in use by thread \"" + busy.get().getName()
                    + "\"; step(), zeroGrad(), swapAverages() and loadState() take one thread at a time");
        }
        try {
            action.run();
        } finally {
            busy.set(null);
        }
    }

    private static InvalidConfigException unmanaged(List<String> names) {
        return new InvalidConfigException("optimizer", "manages no group for the trainable parameters "
                + String.join(", ", names) + " (frozen when it was compiled?); add them with addGroup(...)");
    }

    /** The parameters this optimizer was compiled over, frozen ones included. */
    public ParameterSet parameters() {
        return parameters;
    }

    /**
     * Clears the gradient of every trainable parameter of the set: to none under
     * {@link NoGradient#SKIP} (PyTorch 2.x's {@code zero_grad()}), so a parameter the next
     * backward pass does not reach is left alone by the next step; to zero under
     * {@link NoGradient#ZERO} (torch 1.13's).
     */
    public void zeroGrad() {
        exclusive(this::clearGradients);
    }

    private void clearGradients() {
        ensureOpen();
        // Every closed array is refused before any gradient is cleared: a refused call clears nothing.
        refuseReleased(false);
        unmanaged.forEach(Optimizer::refuseReleased);
        for (Bucket bucket : buckets) {
            if (bucket.fused != null) {
                bucket.fused.zeroGrad();
                continue;
            }
            for (Slot slot : bucket.slots) {
                // DJL will not hand out a frozen parameter's gradient (libtorch keeps it), so it is left as it is.
                if (slot.param.isTrainable()) {
                    Gradients.clear(slot.param.array(), noGradient);
                }
            }
        }
        for (Param p : unmanaged) {
            if (p.isTrainable()) {
                Gradients.clear(p.array(), noGradient);
            }
        }
    }

    /** Steps taken so far; the next {@link #step()} is step {@code stepCount() + 1}. */
    public long stepCount() {
        ensureOpen();
        return step;
    }

    /**
     * Puts the chain's {@link WeightAverage} into the model in place of the weights, to evaluate or
     * save it: {@link dev.anneal.grad.Ema}'s, {@link dev.anneal.grad.Swa}'s or ASGD's average,
     * exchanged with its state array, or Schedule-Free's x, computed, the weights kept aside.
     * Called again, it puts the weights back, bit for bit. A parameter whose average has
     * not started (not yet updated; before SWA's start) keeps its weights. Steps and
     * {@link #state()} are refused while the averages are in. Batch-norm running statistics are
     * no parameters here and stay as they are; see {@link WeightAverage#recomputesBatchNorm()}.
     */
    public void swapAverages() {
        exclusive(this::swap);
    }

    private void swap() {
        ensureOpen();
        refuseReleased(false);
        if (average == null) {
            throw new IllegalStateException(chain.name() + " keeps no average of the weights; add ema(...) or swa(...) "
                    + "to its spec");
        }
        for (Bucket bucket : buckets) {
            Hyperparams h = bucket.hyperparams;
            int at = chain.stateNames(h).indexOf(average.name());
            for (Slot slot : bucket.slots) {
                if (!average.started(bucket.updates[slot.index])) {
                    continue;
                }
                try (NDScope ignored = new NDScope()) {
                    String name = slot.param.name();
                    NDArray incoming;
                    NDArray exchanged = null;
                    if (at >= 0) {
                        exchanged = slot.working(slot.param.array()).duplicate();
                        incoming = slot.state[at];
                    } else if (averagesIn) {
                        incoming = keptWeights.remove(name);
                        if (incoming == null) {
                            continue; // put back by an earlier swap that failed part way
                        }
                        NDScope.register(incoming);
                    } else {
                        // A computed average has no array to hold the weights meanwhile: they wait here.
                        // A swap that failed part way left some in, with the average in the model.
                        NDArray weights = keptWeights.get(name);
                        if (weights == null) {
                            weights = slot.working(slot.param.array()).duplicate();
                            NDScope.unregister(weights);
                            keptWeights.put(name, weights);
                        }
                        NDArray[] own = chain.stateOf(average, h, slot.state);
                        incoming = average.average(own.length == 0 ? weights : weights.toDevice(own[0].getDevice(), false),
                                own, h, step);
                    }
                    if (slot.master != null) {
                        slot.master.set(new NDIndex("..."), incoming);
                        slot.refresh();
                    } else {
                        slot.param.assign(incoming); // through a detached view, as autograd allows
                    }
                    if (exchanged != null) {
                        slot.state[at].set(new NDIndex("..."), exchanged.toDevice(slot.state[at].getDevice(), false));
                    }
                }
            }
        }
        averagesIn = !averagesIn;
    }

    /** Whether this optimizer keeps an average of the weights ({@code ema(...)}, {@code swa(...)}). */
    public boolean keepsAverages() {
        return average != null;
    }

    /** The average of the weights this optimizer keeps, if any: what it is called, when it starts. */
    public Optional<WeightAverage> weightAverage() {
        return Optional.ofNullable(average);
    }

    /** Whether some parameter's average has started, so that {@link #swapAverages()} would put one in. */
    public boolean averagesStarted() {
        ensureOpen();
        return average != null && buckets.stream().anyMatch(b -> b.slots.stream()
                .anyMatch(slot -> average.started(b.updates[slot.index])));
    }

    /** Whether {@link #swapAverages()} has put the averages into the model. */
    public boolean averagesSwappedIn() {
        ensureOpen();
        return averagesIn;
    }

    private void refuseSwapped() {
        if (averagesIn) {
            throw new IllegalStateException("the weights' averages are swapped into the model; call swapAverages() "
                    + "again to put the weights back before stepping or saving the optimizer's state");
        }
    }

    /** Steps dropped so far: overflows under a {@link LossScale}, non-finite gradients under {@link NonFinite#SKIP}. */
    public long skippedSteps() {
        ensureOpen();
        return skipped;
    }

    /** What the next loss must be multiplied by before its backward pass: 1 without loss scaling. */
    public float lossScale() {
        ensureOpen();
        return scaler.scale();
    }

    /**
     * The norm of all gradients the last step's first reduction of gradients computed: clipping's
     * (what {@code clip_grad_norm_} returns), before clipping, or a layer-wise rule's (NovoGrad,
     * LAMB, LARS: the Euclidean norm of all of them); NaN when nothing reduced the gradients or the
     * step was dropped. A norm per group or per tensor is reported as the norm of all of them
     * together, from its own totals.
     */
    public double gradNorm() {
        ensureOpen();
        return gradNorm;
    }

    /** Names of the groups with members: the default group first, then explicit groups in order. */
    public List<String> groups() {
        return List.copyOf(groupHyperparams.keySet());
    }

    /**
     * How a group's parameters are updated: {@link Execution#FUSED} only when every one of them
     * is (float32 on the CPU, a rule with a kernel or a {@link Stage#fusedForm}, and fused
     * execution asked for).
     */
    public Execution executionOf(String group) {
        hyperparams(group);
        if (execution == Execution.OFFLOAD) {
            return execution;
        }
        boolean fused = buckets.stream().filter(b -> b.group.equals(group)).allMatch(b -> b.fused != null || b.fusedForms);
        return fused ? Execution.FUSED : Execution.GENERIC;
    }

    /** A group's effective hyperparameters (defaults with its overrides applied). */
    public Hyperparams hyperparams(String group) {
        Hyperparams h = groupHyperparams.get(group);
        if (h == null) {
            throw new IllegalArgumentException("no group named \"" + group + "\"; groups are " + groups());
        }
        return h;
    }

    /** A group's hyperparameter values at step {@code step}: schedules evaluated, flags as set. */
    public Map<String, Object> valuesAt(String group, long step) {
        return evaluate(hyperparams(group).fields(), step);
    }

    /** Values of the last step taken (of the first step before any). */
    public Map<String, Object> currentValues(String group) {
        return valuesAt(group, Math.max(step, 1));
    }

    /** One value of a group at the last step taken (the first step before any): {@code current("conv", Hyperparameter.LR)}. */
    public double current(String group, Hyperparameter<Schedule> h) {
        return hyperparams(group).at(h, Math.max(step, 1));
    }

    private static Map<String, Object> evaluate(Map<String, Object> fields, long step) {
        Map<String, Object> values = new LinkedHashMap<>();
        fields.forEach((name, value) -> values.put(name, value instanceof Schedule s ? s.at(step) : value));
        return values;
    }

    /**
     * Every parameter in model order with its group and the values it is updated with at the
     * current step; frozen or unmanaged parameters show the group {@code "-"}.
     */
    public List<AuditRow> audit() {
        ensureOpen();
        List<AuditRow> rows = new ArrayList<>();
        for (Param p : parameters.all()) {
            Slot slot = slotsByParam.get(p.name());
            if (slot == null || !p.isTrainable()) {
                String why = p.isTrainable() ? "not managed" : "frozen";
                rows.add(new AuditRow(p.name(), p.shape().toString(), "-", Map.of("status", why)));
            } else {
                rows.add(new AuditRow(p.name(), p.shape().toString(), slot.bucket.group,
                        evaluate(slot.bucket.hyperparams.fields(), Math.max(step, 1))));
            }
        }
        return rows;
    }

    /** The audit as an aligned text table. */
    public String auditTable() {
        return AuditRow.render(audit());
    }

    /**
     * The state as named tensors ({@code "<param>/<state name>"}, live arrays, read them before
     * the next step) plus the step counter and each parameter's update count.
     */
    public OptimizerState state() {
        ensureOpen();
        refuseSwapped();
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        Map<String, Long> updates = new LinkedHashMap<>();
        for (Bucket bucket : buckets) {
            for (Slot slot : bucket.slots) {
                updates.put(slot.param.name(), bucket.updates[slot.index]);
                for (int i = 0; i < slot.state.length; i++) {
                    tensors.put(slot.param.name() + "/" + slot.stateNames.get(i), slot.state[i]);
                }
                for (int i = 0; i < slot.scalars.values.length; i++) {
                    slot.scalars.tensors[i].set(new float[] {slot.scalars.values[i]});
                    tensors.put(slot.param.name() + "/" + slot.scalars.names.get(i), slot.scalars.tensors[i]);
                }
                if (slot.master != null) {
                    tensors.put(slot.param.name() + "/" + MASTER, slot.master);
                }
            }
        }
        tensors.putAll(searchState);
        if (shared != null) {
            for (int i = 0; i < shared.values.length; i++) {
                shared.tensors[i].set(new float[] {shared.values[i]});
                tensors.put(shared.names.get(i), shared.tensors[i]);
            }
        }
        return new OptimizerState(chain.name(), step, skipped, scaler, updates, tensors);
    }

    /** Restores a state taken from an optimizer over the same parameters, groups and settings. */
    public void loadState(OptimizerState saved) {
        exclusive(() -> restore(saved));
    }

    private void restore(OptimizerState saved) {
        checkState(saved);
        OptimizerState mine = state();
        try (NDScope ignored = new NDScope()) {
            // An index assignment, as Param.assign: copyTo makes libtorch print a deprecation warning.
            mine.tensors().forEach((key, array) ->
                    array.set(new NDIndex("..."), saved.tensors().get(key).toDevice(array.getDevice(), false)));
        }
        for (Bucket bucket : buckets) {
            for (Slot slot : bucket.slots) {
                bucket.updates[slot.index] = saved.updates().get(slot.param.name());
                for (int i = 0; i < slot.scalars.values.length; i++) {
                    slot.scalars.values[i] = slot.scalars.tensors[i].toFloatArray()[0];
                }
            }
        }
        if (shared != null) {
            for (int i = 0; i < shared.values.length; i++) {
                shared.values[i] = shared.tensors[i].toFloatArray()[0];
            }
        }
        step = saved.step();
        skipped = saved.skippedSteps();
        scaler = saved.lossScale();
    }

    /** Refuses, naming what differs, a state {@link #loadState} could not restore; changes nothing. */
    public void checkState(OptimizerState saved) {
        Checks checks = new Checks("state");
        checkState(saved, checks);
        checks.throwIfAny();
    }

    /**
     * Reports into {@code checks} what keeps {@link #loadState} from restoring {@code saved}:
     * another rule, other parameters or tensors, impossible counters, or a step counter past the
     * steps this optimizer's schedules are defined for. Changes nothing.
     */
    public void checkState(OptimizerState saved, Checks checks) {
        ensureOpen();
        OptimizerState mine = state();
        OptimizerState.checkCounts(saved.step(), saved.updates(), checks);
        checks.require(saved.skippedSteps() >= 0, "skippedSteps", "must be at least 0, got " + saved.skippedSteps());
        lossScale.check(saved.lossScale(), checks);
        groupHyperparams.forEach((group, h) -> h.fields().forEach((field, value) -> {
            if (value instanceof Schedule s && !s.countsEpochs()) {
                checks.require(saved.step() <= s.validSteps(), "step", "is " + saved.step() + ", past the "
                        + s.validSteps() + " steps that group \"" + group + "\"'s " + field + " schedule lasts");
            }
        }));
        checks.require(saved.optimizer().equals(mine.optimizer()), "optimizer",
                "is " + saved.optimizer() + ", expected " + mine.optimizer());
        checks.require(saved.updates().keySet().equals(mine.updates().keySet()), "parameters",
                "are " + saved.updates().keySet() + ", expected " + mine.updates().keySet());
        checks.require(saved.tensors().keySet().equals(mine.tensors().keySet()), "tensors",
                "are " + saved.tensors().keySet() + ", expected " + mine.tensors().keySet());

        mine.tensors().forEach((key, array) -> {
            NDArray value = saved.tensors().get(key);
            if (value != null && (!value.getShape().equals(array.getShape())
                    || value.getDataType() != array.getDataType())) {
                checks.fail("tensors[\"" + key + "\"]", "is " + value.getDataType() + " " + value.getShape()
                        + ", expected " + array.getDataType() + " " + array.getShape());
            }
        });
        if (!searchState.isEmpty() && saved.tensors().keySet().containsAll(searchState.keySet())) {
            Lbfgs.checkState(saved.tensors(), searchState.get("ro").size(), checks);
        }
        if (shared != null && checks.violations().isEmpty()) {
            checkShared(saved, checks);
        }
    }

    /** Reports optimizer-wide scalars in {@code saved} that are not finite or that their stage cannot continue from. */
    private void checkShared(OptimizerState saved, Checks checks) {
        for (Stage stage : chain.stages()) {
            List<String> names = stage.sharedNames();
            float[] values = new float[names.size()];
            for (int i = 0; i < names.size(); i++) {
                values[i] = saved.tensors().get(names.get(i)).toFloatArray()[0];
                checks.require(Float.isFinite(values[i]), "tensors[\"" + names.get(i) + "\"]",
                        "is " + values[i] + "; an optimizer-wide scalar must be finite");
            }
            stage.checkShared(values, checks.at("tensors"));
        }
    }

    /** Frees the state. Parameters belong to the model and stay. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (Bucket bucket : buckets) {
                if (bucket.fused != null) {
                    bucket.fused.close();
                }
            }
            if (stateManager != null) {
                stateManager.close();
            }
            keptWeights.values().forEach(NDArray::close);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this optimizer is closed");
        }
    }

    /** Parameters of one group sharing one set of effective hyperparameters. */
    private static final class Bucket {
        final String group;
        final Hyperparams hyperparams;
        final boolean scheduled;
        final List<Slot> slots = new ArrayList<>();
        /** Updates each member has received: PyTorch's per-parameter step. */
        final long[] updates;
        /** Which members the current step updates: trainable, with a gradient. */
        boolean[] live;
        FusedBucket fused;
        /** Whether this bucket runs its chain's {@link Stage#fusedForm}s: fused execution of a rule with no kernel. */
        boolean fusedForms;

        Bucket(String group, Hyperparams hyperparams, int size) {
            this.group = group;
            this.hyperparams = hyperparams;
            this.scheduled = hyperparams.isScheduled();
            this.updates = new long[size];
            this.live = new boolean[size];
        }
    }

    /**
     * A parameter's scalars ({@link Stage#scalarNames}): the values its updates advance, and the
     * 0-dim tensors {@link #state()} shows them in (written there only when a state is taken).
     */
    private record Scalars(List<String> names, float[] values, NDArray[] tensors) {
    }

    /** A parameter's place in its bucket, its state, and its float32 master when it is half precision. */
    private record Slot(Param param, Bucket bucket, int index, List<String> stateNames, NDArray[] state, Scalars scalars,
                        NDArray master) {
        /** What the update rule changes: the master, or the weight itself. */
        NDArray working(NDArray weight) {
            return master != null ? master : weight;
        }

        /** The gradient as the rule reads it: widened to float32 for a master. */
        NDArray widened(NDArray grad) {
            return master != null ? grad.toType(DataType.FLOAT32, false) : grad;
        }

        /** Sets a half-precision weight to its master, rounded. */
        void refresh() {
            if (master != null) {
                param.assign(master.toType(param.array().getDataType(), false));
            }
        }
    }
}
