package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;
import dev.anneal.schedule.Schedule;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * An optimizer as a chain of {@link Stage}s, run in order on each tensor, with the defaults of the
 * system it follows: Optax's {@code chain(scale_by_adam(), add_decayed_weights(), scale(-lr))},
 * but with each stage's NDArray path and fused kernel, so a chain is still one pass over memory.
 * Its hyperparameters are those its stages read, in the order declared here, which the generated
 * builders ({@code Optimizers}) and the DSL's functions follow. A hyperparameter without a default
 * must be set (MindSpore's Momentum has none for its learning rate).
 */
public final class Chain {
    private final String typeName;
    private final String summary;
    private final List<Stage> stages;
    private final List<Hyperparameter<?>> hyperparameters;
    private final Hyperparams defaults;
    private static final NDArray[] NO_ARRAYS = new NDArray[0];
    private static final float[][] NO_BLOCKS = new float[0][];

    private Chain(Builder b) {
        this.typeName = b.typeName;
        this.summary = b.summary;
        this.stages = List.copyOf(b.stages);
        this.hyperparameters = List.copyOf(b.entries.keySet());
        Map<Hyperparameter<?>, Object> set = new LinkedHashMap<>(b.entries);
        set.values().removeIf(Objects::isNull);
        this.defaults = new Hyperparams(set);
        Set<Hyperparameter<?>> read = new LinkedHashSet<>();
        stages.forEach(s -> read.addAll(s.hyperparameters()));
        if (!read.equals(b.entries.keySet())) {
            throw new IllegalStateException(typeName + " declares " + b.entries.keySet() + " but its stages read " + read);
        }
        List<String> averages = stages.stream().filter(WeightAverage.class::isInstance)
                .map(s -> ((WeightAverage) s).name() + "(...)").toList();
        if (averages.size() > 1) {
            throw new InvalidConfigException("optimizer." + name(), "keeps one average of the weights, got "
                    + String.join(" and ", averages) + "; swapAverages() and the validation of the average "
                    + "need to know which one is meant: keep one");
        }
        if (stages.stream().filter(s -> s.kind() == Stage.Kind.RULE).count() != 1) {
            throw new IllegalStateException(typeName + " must have exactly one update rule among its stages " + stages);
        }
        Checks checks = new Checks(name());
        defaults.keys().forEach(h -> h.check(checks, defaults.get(h)));
        checks.throwIfAny();
    }

    /** A chain named {@code typeName} ({@code "AdamW"}: {@code Optimizers.adamW()}, {@code adamW(...)} in the DSL). */
    public static Builder builder(String typeName, String summary) {
        return new Builder(typeName, summary);
    }

    /** A chain like this one under another name: swap stages, change defaults. */
    public Builder toBuilder(String typeName, String summary) {
        Builder b = new Builder(typeName, summary);
        b.stages.addAll(stages);
        b.entries.putAll(defaultsOrRequired());
        return b;
    }

    /**
     * This optimizer with tools around it, {@code values} their defaults: gradient tools
     * (clipping) run first, in order, except those {@link Stage#nextToRule next to the rule}
     * (centralization), which run right before it; weight tools (an average of the weights) after
     * the optimizer's own stages, on the weights it leaves. The name stays, so error paths and
     * saved states do too.
     */
    Chain withTools(List<Stage> tools, Hyperparams values) {
        Builder b = toBuilder(typeName, summary)
                .prepend(tools.stream().filter(t -> t.kind() == Stage.Kind.GRADIENT && !t.nextToRule()).toArray(Stage[]::new));
        int rule = 0;
        while (b.stages.get(rule).kind() != Stage.Kind.RULE) {
            rule++;
        }
        b.stages.addAll(rule, tools.stream().filter(t -> t.kind() == Stage.Kind.GRADIENT && t.nextToRule()).toList());
        tools.stream().filter(t -> t.kind() != Stage.Kind.GRADIENT).forEach(b.stages::add);
        values.keys().forEach(h -> b.entries.put(h, values.get(h)));
        return b.build();
    }

    /** True when a stage counts some length in epochs, so {@link #inSteps} must come before compiling. */
    boolean countsEpochs() {
        return stages.stream().anyMatch(Stage::countsEpochs);
    }

    /** This chain with every stage's epochs turned into steps at {@code stepsPerEpoch}; itself when none counts epochs. */
    Chain inSteps(long stepsPerEpoch) {
        if (!countsEpochs()) {
            return this;
        }
        return toBuilder(typeName, summary).stages(stages.stream().map(s -> s.inSteps(stepsPerEpoch)).toArray(Stage[]::new))
                .build();
    }

    /** The stage that keeps an average of the weights, if any; a chain keeps at most one. */
    WeightAverage weightAverage() {
        return stages.stream().filter(WeightAverage.class::isInstance).map(WeightAverage.class::cast).findFirst()
                .orElse(null);
    }

    private Map<Hyperparameter<?>, Object> defaultsOrRequired() {
        Map<Hyperparameter<?>, Object> entries = new LinkedHashMap<>();
        hyperparameters.forEach(h -> entries.put(h, defaults.get(h)));
        return entries;
    }

    /** Lower-case name used in error paths and state files: {@code adamw}. */
    public String name() {
        return typeName.toLowerCase(Locale.ROOT);
    }

    /** The name of its builder and DSL function, capitalised: {@code AdamW}. */
    public String typeName() {
        return typeName;
    }

    /** One sentence on what it computes and whose numbers it follows. */
    public String summary() {
        return summary;
    }

    public List<Stage> stages() {
        return stages;
    }

    /** Its hyperparameters, in declaration order. */
    public List<Hyperparameter<?>> hyperparameters() {
        return hyperparameters;
    }

    /** The defaults; a hyperparameter without one is absent and must be set. */
    public Hyperparams defaults() {
        return defaults;
    }

    /** The hyperparameter called {@code name}, or an error that lists the ones there are. */
    public Hyperparameter<?> hyperparameter(String name) {
        return hyperparameters.stream().filter(h -> h.name().equals(name)).findFirst()
                .orElseThrow(() -> new InvalidConfigException("optimizer." + name() + "." + name,
                        "is not a hyperparameter of " + name() + "; it has " + hyperparameters));
    }

    /** Settings for this chain with no static types: {@code set("beta1", 0.95)}, for configuration read at run time. */
    public Options options() {
        return new Options(this);
    }

    /** Checks a complete set: every hyperparameter present and in range, then each stage's own rules. */
    void check(Hyperparams h, Checks c) {
        boolean complete = true;
        for (Hyperparameter<?> p : hyperparameters) {
            Object value = h.get(p);
            if (value == null) {
                c.fail(p.name(), "is required (this optimizer has no default for it)");
                complete = false;
            } else {
                p.check(c, value);
            }
        }
        if (complete) {
            stages.forEach(s -> s.check(h, c));
        }
    }

    /** True when every stage has a fused kernel ({@link Stage#elementwise}). */
    boolean elementwise() {
        return stages.stream().allMatch(Stage::elementwise);
    }

    /** True when every stage without a fused kernel has a {@link Stage#fusedForm} (Adafactor's Java passes). */
    boolean hasFusedForms() {
        return stages.stream().allMatch(s -> s.elementwise() || s.fusedForm() != null);
    }

    /** {@code stages} with each one that has no fused kernel in its {@link Stage#fusedForm}. */
    static List<Stage> fusedForms(List<Stage> stages) {
        return stages.stream().map(s -> s.elementwise() ? s : s.fusedForm()).toList();
    }

    /** True when a stage works on whole rows with these values ({@link Stage#wholeRows}, {@link Stage#touchedRowsOnly}). */
    boolean wholeRows(Hyperparams h) {
        return stages.stream().anyMatch(s -> s.wholeRows(h) || s.touchedRowsOnly(h));
    }

    /** The per-tensor state for these values: each stage's arrays, in chain order. */
    List<String> stateNames(Hyperparams h) {
        List<String> names = new ArrayList<>();
        stages.forEach(s -> names.addAll(s.stateNames(h)));
        return names;
    }

    /** The shape of each state array of {@link #stateNames} for a weight of shape {@code weight} ({@link Stage#stateShape}), in the same order. */
    List<Shape> stateShapes(Shape weight, Hyperparams h) {
        List<Shape> shapes = new ArrayList<>();
        for (Stage s : stages) {
            for (String name : s.stateNames(h)) {
                Shape shape = s.stateShape(name, weight, h);
                // The fused path reads each state block beside the weight's: same length.
                if (s.elementwise() && !shape.equals(weight)) {
                    throw new IllegalStateException(s.getClass().getSimpleName() + " is element-wise but gives its state "
                            + name + " the shape " + shape + " for a weight of " + weight);
                }
                shapes.add(shape);
            }
        }
        return shapes;
    }

    /** Where each state array of {@link #stateNames} starts ({@link Stage#startsAt}), in the same order. */
    List<Double> stateStarts(Hyperparams h) {
        List<Double> starts = new ArrayList<>();
        stages.forEach(s -> s.stateNames(h).forEach(name -> starts.add(s.startsAt(name, h))));
        return starts;
    }

    /** {@code stage}'s share of a tensor's {@code state} (all of the chain's arrays, in {@link #stateNames} order). */
    NDArray[] stateOf(Stage stage, Hyperparams h, NDArray[] state) {
        int first = stateCount(stages.subList(0, stages.indexOf(stage)), h);
        return Arrays.copyOfRange(state, first, first + stage.stateNames(h).size());
    }

    /** The per-tensor scalars for these values ({@link Stage#scalarNames}), in chain order. */
    List<String> scalarNames(Hyperparams h) {
        List<String> names = new ArrayList<>();
        stages.forEach(s -> names.addAll(s.scalarNames(h)));
        return names;
    }

    /** Where each scalar of {@link #scalarNames} starts ({@link Stage#startsAt}), in the same order. */
    List<Double> scalarStarts(Hyperparams h) {
        List<Double> starts = new ArrayList<>();
        stages.forEach(s -> s.scalarNames(h).forEach(name -> starts.add(s.startsAt(name, h))));
        return starts;
    }

    /**
     * {@code stages} for one tensor's {@code count}-th update: each stage with scalars as
     * {@link Stage#forUpdate} makes it, on its share of {@code scalars}, which advance in place.
     */
    List<Stage> forUpdate(List<Stage> stages, float[] scalars, Hyperparams h, long step, long count) {
        List<Stage> bound = new ArrayList<>(stages.size());
        int first = 0;
        for (Stage stage : stages) {
            int n = stage.scalarNames(h).size();
            if (n == 0) {
                bound.add(stage);
                continue;
            }
            float[] own = Arrays.copyOfRange(scalars, first, first + n);
            bound.add(stage.forUpdate(own, h, step, count));
            System.arraycopy(own, 0, scalars, first, n);
            first += n;
        }
        return bound;
    }

    /**
     * One update of one tensor on the generic path: {@code stages} (this chain's, or those that
     * run in their place this step) in order; returns the gradient the last one left. Before a
     * rule that updates {@link Stage#touchedRowsOnly touched rows only}, the rows whose incoming
     * gradient is all zero are put back as they were, weights and the state of the stages up to it.
     */
    NDArray apply(List<Stage> stages, NDArray weight, NDArray grad, NDArray[] state, Hyperparams h, long step, long count) {
        int lazy = lazyRule(stages, h);
        if (lazy < 0) {
            return apply(stages, 0, stages.size(), weight, grad, state, h, step, count);
        }
        int through = stateCount(stages.subList(0, lazy + 1), h);
        NDArray touched = touchedRows(grad);
        NDArray weightBefore = weight.duplicate();
        NDArray[] stateBefore = new NDArray[through];
        for (int i = 0; i < through; i++) {
            stateBefore[i] = state[i].duplicate();
        }
        NDArray g = apply(stages, 0, lazy + 1, weight, grad, state, h, step, count);
        weight.set(new NDIndex("..."), NDArrays.where(touched, weight, weightBefore));
        for (int i = 0; i < through; i++) {
            state[i].set(new NDIndex("..."), NDArrays.where(touched, state[i], stateBefore[i]));
        }
        if (lazy + 1 == stages.size()) {
            return g;
        }
        // The stages after the rule see an untouched row's gradient as it came in, as on the fused path.
        return apply(stages, lazy + 1, stages.size(), weight, NDArrays.where(touched, g, grad), state, h, step, count);
    }

    /** Stages {@code [from, to)} of {@code stages} on one tensor, each on its share of {@code state}. */
    private static NDArray apply(List<Stage> stages, int from, int to, NDArray weight, NDArray grad, NDArray[] state,
                                 Hyperparams h, long step, long count) {
        NDArray g = grad;
        int first = stateCount(stages.subList(0, from), h);
        for (Stage stage : stages.subList(from, to)) {
            int states = stage.stateNames(h).size();
            NDArray[] own = states == 0 ? NO_ARRAYS : Arrays.copyOfRange(state, first, first + states);
            g = stage.apply(weight, g, own, h, step, count);
            first += states;
        }
        return g;
    }

    /**
     * What stage {@code at} of {@code stages} measures for its reduction on the generic path, from
     * the weight, the gradient the stages before it leave and its share of {@code state}.
     */
    NDArray measure(List<Stage> stages, int at, NDArray weight, NDArray grad, NDArray[] state, Hyperparams h, long step,
                    long count, int which) {
        int first = stateCount(stages.subList(0, at), h);
        Stage stage = stages.get(at);
        NDArray[] own = Arrays.copyOfRange(state, first, first + stage.stateNames(h).size());
        return stage.measure(weight, grad, own, h, step, count, which);
    }

    /** The same on the fused path: stage {@code at}'s measure kernel over its share of all the state blocks. */
    ElementKernel measure(List<Stage> stages, int at, Hyperparams h, long step, long count, int which) {
        int first = stateCount(stages.subList(0, at), h);
        Stage stage = stages.get(at);
        int[] range = {first, first + stage.stateNames(h).size()};
        int total = stateCount(stages, h);
        ElementKernel measure = stage.measure(h, step, count, which);
        return (w, g, state, n) -> measure.apply(w, g, slice(state, range, total), n);
    }

    /**
     * Where {@code grad}'s row holds a value other than zero (NaN counts), element by element:
     * rows are slices along the first dimension, each element of a vector a row, a scalar one row.
     */
    private static NDArray touchedRows(NDArray grad) {
        NDArray nonZero = grad.neq(0);
        int rank = grad.getShape().dimension();
        return rank < 2 ? nonZero
                : nonZero.sum(IntStream.range(1, rank).toArray(), true).gt(0).broadcast(grad.getShape());
    }

    /**
     * {@code stages} as one kernel over blocks: the active ones' kernels in order, each on its own
     * state; null when none is. Before a rule that updates {@link Stage#touchedRowsOnly touched
     * rows only}, the fused path hands over one row per call, and the stages up to it skip a row
     * whose gradient came in all zero.
     */
    ElementKernel kernel(List<Stage> stages, Hyperparams h, long step, long count) {
        int total = stateCount(stages, h);
        int lazy = lazyRule(stages, h);
        if (lazy < 0) {
            return kernel(stages, 0, stages.size(), total, h, step, count);
        }
        ElementKernel touched = kernel(stages, 0, lazy + 1, total, h, step, count);
        ElementKernel after = kernel(stages, lazy + 1, stages.size(), total, h, step, count);
        return (w, g, state, n) -> {
            if (touched != null && !allZero(g, n)) {
                touched.apply(w, g, state, n);
            }
            if (after != null) {
                after.apply(w, g, state, n);
            }
        };
    }

    /** Stages {@code [from, to)} of {@code stages} as one kernel over all {@code total} state blocks; null when none is active. */
    private static ElementKernel kernel(List<Stage> stages, int from, int to, int total, Hyperparams h, long step,
                                       long count) {
        List<ElementKernel> kernels = new ArrayList<>();
        List<int[]> ranges = new ArrayList<>();
        int first = stateCount(stages.subList(0, from), h);
        for (Stage stage : stages.subList(from, to)) {
            int states = stage.stateNames(h).size();
            ElementKernel k = stage.kernel(h, step, count);
            if (k != null) {
                kernels.add(k);
                ranges.add(new int[] {first, first + states});
            }
            first += states;
        }
        if (kernels.isEmpty()) {
            return null;
        }
        if (kernels.size() == 1 && ranges.get(0)[0] == 0 && ranges.get(0)[1] == total) {
            return kernels.get(0);
        }
        ElementKernel[] ks = kernels.toArray(new ElementKernel[0]);
        int[][] rs = ranges.toArray(new int[0][]);
        return (w, g, state, n) -> {
            for (int i = 0; i < ks.length; i++) {
                ks[i].apply(w, g, slice(state, rs[i], total), n);
            }
        };
    }

    private static boolean allZero(float[] g, int n) {
        for (int i = 0; i < n; i++) {
            if (g[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** The position of the rule among {@code stages} when it updates touched rows only with these values; else -1. */
    private static int lazyRule(List<Stage> stages, Hyperparams h) {
        for (int i = 0; i < stages.size(); i++) {
            if (stages.get(i).kind() == Stage.Kind.RULE && stages.get(i).touchedRowsOnly(h)) {
                return i;
            }
        }
        return -1;
    }

    private static int stateCount(List<Stage> stages, Hyperparams h) {
        return stages.stream().mapToInt(s -> s.stateNames(h).size()).sum();
    }

    /**
     * Positions of the stages that need a {@link Reduction} with these values. Only gradient
     * stages may run before one: a total must not depend on a weight the pass has not yet moved.
     */
    List<Integer> reducing(Hyperparams h) {
        List<Integer> positions = new ArrayList<>();
        for (int p = 0; p < stages.size(); p++) {
            List<Reduction> reductions = stages.get(p).reductions(h);
            boolean shared = !stages.get(p).sharedNames().isEmpty();
            if (shared && reductions.stream().anyMatch(r -> r.scope() != Reduction.Scope.OPTIMIZER)) {
                throw new IllegalStateException(this + ": " + stages.get(p).getClass().getSimpleName()
                        + " keeps optimizer-wide scalars, so its reductions must cover the whole optimizer");
            }
            if (!reductions.isEmpty()) {
                for (Stage before : stages.subList(0, p)) {
                    if (before.kind() != Stage.Kind.GRADIENT) {
                        throw new IllegalStateException(this + ": " + stages.get(p).getClass().getSimpleName()
                                + " reduces over gradients after the " + before.kind() + " stage "
                                + before.getClass().getSimpleName() + "; only gradient stages may run before it");
                    }
                }
                positions.add(p);
            }
        }
        return positions;
    }

    private static float[][] slice(float[][] state, int[] range, int total) {
        if (range[0] == range[1]) {
            return NO_BLOCKS;
        }
        return range[0] == 0 && range[1] == total ? state : Arrays.copyOfRange(state, range[0], range[1]);
    }

    /** Equal when name, summary, stages and defaults are: two builders of the same optimizer give equal chains. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Chain c && typeName.equals(c.typeName) && summary.equals(c.summary)
                && stages.equals(c.stages) && defaultsOrRequired().equals(c.defaultsOrRequired());
    }

    @Override
    public int hashCode() {
        return Objects.hash(typeName, stages);
    }

    @Override
    public String toString() {
        return name() + stages.stream().map(s -> s.getClass().getSimpleName()).collect(Collectors.joining(", ", "(", ")"));
    }

    /** Declares a chain: its stages in order, then each hyperparameter with its default, in signature order. */
    public static final class Builder {
        private final String typeName;
        private final String summary;
        private final List<Stage> stages = new ArrayList<>();
        private final Map<Hyperparameter<?>, Object> entries = new LinkedHashMap<>();

        private Builder(String typeName, String summary) {
            this.typeName = Objects.requireNonNull(typeName, "typeName");
            this.summary = Objects.requireNonNull(summary, "summary");
        }

        /** The stages, in the order they run on each tensor; replaces any given before. */
        public Builder stages(Stage... stages) {
            this.stages.clear();
            this.stages.addAll(List.of(stages));
            return this;
        }

        /** Stages that run before those given so far: a gradient tool in front of an optimizer. */
        public Builder prepend(Stage... first) {
            this.stages.addAll(0, List.of(first));
            return this;
        }

        public Builder value(Hyperparameter<Schedule> h, double defaultValue) {
            entries.put(h, Schedule.constant(defaultValue));
            return this;
        }

        public Builder flag(Hyperparameter<Boolean> h, boolean defaultValue) {
            entries.put(h, defaultValue);
            return this;
        }

        /** A hyperparameter the user must set. */
        public Builder required(Hyperparameter<?> h) {
            entries.put(h, null);
            return this;
        }

        public Chain build() {
            return new Chain(this);
        }
    }
}
