package dev.anneal.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.loss.Loss;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;
import dev.anneal.config.TextTable;
import dev.anneal.data.IdxDataset;
import dev.anneal.optim.Optimizer;
import dev.anneal.optim.OptimizerSpec;
import dev.anneal.param.Param;
import dev.anneal.param.ParameterSet;
import dev.anneal.param.Selector;
import dev.anneal.run.RunFolder;
import dev.anneal.state.CheckpointPolicy;
import dev.anneal.train.metric.Metric;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * A whole training run described once: model, data, loss, epochs and named optimizer specs, each
 * over a part of the model. Before the first step it does what the specs cannot do alone: counts
 * the steps per epoch, turns schedules counted in epochs into steps, checks that every schedule
 * lasts the run and that no two optimizers share a parameter, then compiles the optimizers. They
 * are compiled once and kept, with their state, for later runs and for reading; {@link #close()}
 * frees them. {@link #loop()} is the {@link TrainingLoop} it runs.
 *
 * <p>Schedules count optimizer steps. With {@link Builder#accumulate accumulation} over k batches an
 * epoch of b batches is ceil(b/k) steps when each epoch steps on its partial group, floor(b/k)
 * when the group is carried into the next epoch ({@link Accumulation#stepsPerEpoch}); schedules
 * counted in epochs use that figure, and the budget check the run's own count of steps
 * ({@link Accumulation#steps}). Carried groups make some epochs a step longer than a schedule's
 * epoch, so a schedule in epochs as long as the run is refused when k does not divide b: count it
 * in steps, or step on the partial group.
 */
public final class Pipeline implements AutoCloseable {
    /** Passes over the training set when none are given. */
    public static final int DEFAULT_EPOCHS = 1;

    /** What one named optimizer covers ({@code selector} null: the whole model) and how it is set up. */
    public record Part(Selector selector, OptimizerSpec<?> spec) {
        public Part {
            Objects.requireNonNull(spec, "spec");
        }
    }

    private final Block model;
    private final Dataset data;
    private final Dataset validation;
    private final Loss loss;
    private final int epochs;
    private final Executor prefetchExecutor;
    private final int prefetchDepth;
    private final Map<String, Part> parts;
    private final TrainingStep step;
    private final List<Metric> metrics;
    private final List<Supplier<? extends Callback>> callbacks;
    private final CheckpointPolicy checkpoints;
    private final Path resumeFrom;
    private final boolean acceptChangedSettings;
    private final Path runFolder;
    /** Where the pipeline initialized the model's parameters, closed with it; null for a model given initialized. */
    private final NDManager owned;
    private final Shape inputShape;
    private final Monitor bestBy;
    private final Accumulation accumulation;
    private final DataType precision;
    /** Float32 throughout: no mixed precision. */
    public static final DataType DEFAULT_PRECISION = DataType.FLOAT32;
    /** Given, or counted from the data when first needed. */
    private Long batchesPerEpoch;
    private Map<String, Optimizer<?>> compiled;

    private Pipeline(Builder b) {
        Checks c = new Checks("pipeline");
        c.require(b.model != null, "model", "is required");
        c.require(b.data != null, "data", "is required");
        c.require(!b.parts.isEmpty(), "optimizer", "is required: optimizer { adam(...) }");
        b.twice.forEach(name -> c.fail("optimizer", "\"" + name + "\" is declared twice; optimizer names must be unique"));
        c.require(b.step != null || b.loss != null, "loss", "is required (or a step rule of your own)");
        c.require(b.step != null || b.parts.size() <= 1, "step",
                "is required with several optimizers " + b.parts.keySet() + " (which one steps when?)");
        c.require(b.epochs >= 1, "epochs", "must be at least 1, got " + b.epochs);
        c.require(b.prefetchDepth >= 0, "prefetch", "must be at least 0, got " + b.prefetchDepth);
        if (b.stepsPerEpoch != null) {
            c.require(b.stepsPerEpoch >= 1, "stepsPerEpoch", "must be at least 1, got " + b.stepsPerEpoch);
        }
        b.accumulate.check(c.at("accumulate"));
        if (b.precision != DEFAULT_PRECISION) {
            HalfPrecision.check(b.precision, b.model != null && b.model.isInitialized() ? device(b.model) : null, c);
        }
        if (b.device != null) {
            String unusable = Devices.unusable(b.device);
            if (unusable != null) {
                c.fail("device", "is " + b.device + ", which cannot be used: " + unusable + "; leave it out to train on the CPU");
            }
            if (b.model != null && b.model.isInitialized() && !device(b.model).equals(b.device)) {
                c.fail("model", "is initialized on " + device(b.model) + " but the pipeline's device is " + b.device
                        + "; give it uninitialized, or initialize it there");
            }
        }
        c.require(b.step == null || b.accumulate.batches() == 1, "accumulate",
                "belongs to the supervised step; a step rule of your own steps when it likes");
        c.throwIfAny();
        this.model = b.model;
        this.data = b.data;
        this.validation = b.validation;
        this.loss = b.loss;
        this.epochs = b.epochs;
        this.prefetchExecutor = b.prefetchExecutor;
        this.prefetchDepth = b.prefetchDepth;
        this.batchesPerEpoch = b.stepsPerEpoch;
        this.accumulation = b.accumulate.checked();
        this.precision = b.precision;
        this.parts = Collections.unmodifiableMap(new LinkedHashMap<>(b.parts));
        this.step = b.step;
        this.metrics = List.copyOf(b.metrics);
        this.callbacks = List.copyOf(b.callbacks);
        this.checkpoints = b.checkpoints;
        this.resumeFrom = b.resumeFrom;
        this.acceptChangedSettings = b.acceptChangedSettings;
        this.runFolder = b.runFolder;
        if (b.seed != null) {
            Engine.getInstance().setRandomSeed(b.seed);
        }
        this.inputShape = b.inputShape;
        this.owned = model.isInitialized() ? null : initialize(inputShape, b.device != null ? b.device : Device.cpu());
        this.bestBy = b.bestBy;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The model being trained. */
    public Block model() {
        return model;
    }

    /** Passes over the training set. */
    public int epochs() {
        return epochs;
    }

    /** How many batches each optimizer step takes, and how they combine. */
    public Accumulation accumulation() {
        return accumulation;
    }

    /** Each optimizer as declared, by name ({@value TrainingLoop#DEFAULT_OPTIMIZER} for the whole model's). */
    public Map<String, Part> parts() {
        return parts;
    }

    /** The compiled optimizers, by name; compiled now if no run has done it yet. */
    public synchronized Map<String, Optimizer<?>> optimizers() {
        if (compiled == null) {
            compiled = compile();
        }
        return compiled;
    }

    /**
     * The engine's loop for this pipeline, compiling the optimizers if no run has yet: to run, or
     * to add to (a gradient transform, a cancellation check) before running.
     */
    public TrainingLoop.Builder loop() {
        TrainingLoop.Builder builder = TrainingLoop.builder().block(model).train(data).validation(validation)
                .loss(loss).epochs(epochs).manager(manager())
                .accumulate(accumulation.batches(), accumulation.mode(), accumulation.endOfEpoch());
        optimizers().forEach(builder::optimizer);
        if (step != null) {
            builder.step(step);
        }
        metrics.forEach(builder::metric);
        callbacks.forEach(make -> builder.callback(make.get()));
        if (runFolder != null) {
            builder.runFolder(runFolder, bestBy);
        }
        if (checkpoints != null) {
            builder.checkpoints(checkpoints);
        }
        if (resumeFrom != null) {
            builder.resumeFrom(resumeFrom).acceptChangedSettings(acceptChangedSettings);
        }
        if (prefetchDepth > 0) {
            builder.prefetch(prefetchExecutor, prefetchDepth);
        }
        return builder;
    }

    /** Trains on the calling thread until every epoch has run or a callback stops it. */
    public TrainingResult run() throws IOException, TranslateException {
        return loop().build().run();
    }

    /**
     * The pipeline's metrics (accuracy when none are named) over {@code data}, with the model in
     * inference mode, by name: Keras's {@code evaluate}. Not during a run: the metrics are the run's.
     */
    public Map<String, Double> evaluate(Dataset data) throws IOException, TranslateException {
        Objects.requireNonNull(data, "data");
        return Evaluation.measure(model, data, Evaluation.orAccuracy(metrics), new ParameterStore(manager(), false), manager());
    }

    /** {@link #evaluate(Dataset)} over the validation set. */
    public Map<String, Double> evaluate() throws IOException, TranslateException {
        if (validation == null) {
            throw new InvalidConfigException("pipeline.validation", "is needed to evaluate without a dataset: "
                    + "give one to evaluate(data), or set the pipeline's validation");
        }
        return evaluate(validation);
    }

    /** The model's outputs for {@code inputs}, in inference mode, in the inputs' manager: Keras's {@code predict}. */
    public NDList predict(NDList inputs) {
        return Evaluation.predict(model, inputs, new ParameterStore(manager(), false));
    }

    /** The model's one output for one input array. */
    public NDArray predict(NDArray input) {
        return predict(new NDList(input)).singletonOrThrow();
    }

    /**
     * The model layer by layer, as Keras's {@code summary()}: each block at the model's top level
     * with its output shape (for a {@link SequentialBlock}, followed from the input shape), its
     * parameter count and the groups that update its parameters ({@code -} for frozen ones),
     * then the totals. Compiles the optimizers if no run has yet.
     */
    public String summary() {
        Shape[] shapes = inputShape != null ? new Shape[] {inputShape} : firstBatchShapes(manager());
        Map<String, String> groups = new LinkedHashMap<>();
        optimizers().forEach((name, optimizer) -> optimizer.audit().forEach(row -> groups.put(row.param(),
                row.group().equals("-") || parts.size() == 1 ? row.group() : name + "." + row.group())));
        List<Param> params = ParameterSet.of(model).all();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"layer", "output shape", "parameters", "groups"});
        String input = shown(shapes);
        List<Pair<String, Block>> layers = new ArrayList<>();
        model.getChildren().forEach(layers::add);
        if (layers.isEmpty()) {
            layers.add(new Pair<>("", model));
        }
        for (Pair<String, Block> layer : layers) {
            String prefix = layer.getKey().isEmpty() ? "" : layer.getKey() + "_";
            List<Param> own = params.stream().filter(p -> p.name().startsWith(prefix)).toList();
            boolean followed = model instanceof SequentialBlock || layers.size() == 1;
            if (followed) {
                shapes = layer.getValue().getOutputShapes(shapes);
            }
            rows.add(new String[] {layer.getKey().isEmpty() ? model.getClass().getSimpleName() : layer.getKey(),
                    followed ? shown(shapes) : "?", Long.toString(own.stream().mapToLong(p -> p.shape().size()).sum()),
                    String.join(", ", own.stream().map(p -> p.name().substring(prefix.length()) + ": " + groups.get(p.name()))
                            .toList())});
        }
        long total = params.stream().mapToLong(p -> p.shape().size()).sum();
        long trainable = params.stream().filter(Param::isTrainable).mapToLong(p -> p.shape().size()).sum();
        return TextTable.render(rows) + String.format(Locale.ROOT, "input %s; %d parameters, %d trainable, %d frozen%n",
                input, total, trainable, total - trainable);
    }

    /** One shape as DJL writes it, several in brackets. */
    private static String shown(Shape[] shapes) {
        return shapes.length == 1 ? shapes[0].toString() : Arrays.toString(shapes);
    }

    /**
     * Frees the optimizers' state, and the model's parameters when the pipeline initialized them:
     * such a model is of no use after, so save it (a checkpoint, the run folder's) or evaluate it
     * first. A model given initialized stays the caller's.
     */
    @Override
    public synchronized void close() {
        if (compiled != null) {
            compiled.values().forEach(Optimizer::close);
            compiled = null;
        }
        if (owned != null) {
            owned.close();
        }
    }

    /**
     * Initializes the model's parameters on {@code device}, in a manager of the pipeline's own, for inputs of
     * {@code shape}, or when none is given of the first training batch's shape.
     */
    private NDManager initialize(Shape shape, Device device) {
        NDManager manager = NDManager.newBaseManager(device);
        try {
            Shape[] inputs = shape != null ? new Shape[] {shape} : firstBatchShapes(manager);
            try {
                model.initialize(manager, DataType.FLOAT32, inputs);
            } catch (RuntimeException e) {
                throw new InvalidConfigException(shape != null ? "pipeline.inputShape" : "pipeline.data",
                        "cannot initialize the model for inputs of shape " + Arrays.toString(inputs) + ": " + e.getMessage());
            }
            return manager;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private Shape[] firstBatchShapes(NDManager manager) {
        try (NDManager peek = manager.newSubManager()) {
            Iterator<Batch> batches = data.getData(peek).iterator();
            if (!batches.hasNext()) {
                throw new InvalidConfigException("pipeline.data", "gave no batch to take the model's input shape "
                        + "from; give pipeline.inputShape");
            }
            try (Batch first = batches.next()) {
                return first.getData().getShapes();
            }
        } catch (IOException | TranslateException e) {
            throw new IllegalStateException("cannot read a batch of pipeline.data: " + e.getMessage(), e);
        }
    }

    /**
     * The optimizers over the model's parameters. In mixed precision every check the optimizers
     * make runs over the float32 model first, and only then is it cast: a spec refused for its
     * groups or budget leaves the model as it was.
     */
    private Map<String, Optimizer<?>> compile() {
        if (precision != DEFAULT_PRECISION && HalfPrecision.of(model) != precision) {
            Map<String, ParameterSet> sets = sets(ParameterSet.of(model));
            parts.forEach((name, part) -> resolve(part.spec()).checkOver(sets.get(name)));
            HalfPrecision.cast(model, precision, device(model));
        }
        Map<String, ParameterSet> sets = sets(ParameterSet.of(model));
        Map<String, Optimizer<?>> optimizers = new LinkedHashMap<>();
        try {
            parts.forEach((name, part) -> optimizers.put(name, resolve(part.spec()).compile(sets.get(name))));
        } catch (RuntimeException e) {
            optimizers.values().forEach(Optimizer::close);
            throw e;
        }
        return Collections.unmodifiableMap(optimizers);
    }

    /** Each optimizer's parameters: its selector's, or all; refused if two share one. */
    private Map<String, ParameterSet> sets(ParameterSet all) {
        Map<String, ParameterSet> sets = new LinkedHashMap<>();
        parts.forEach((name, part) -> sets.put(name, part.selector() == null ? all
                : all.subset("pipeline.optimizer[\"" + name + "\"]", part.selector())));
        ParameterSet.checkDisjoint(sets);
        return sets;
    }

    private static Device device(Block model) {
        return model.getParameters().isEmpty() ? Device.cpu() : model.getParameters().valueAt(0).getArray().getDevice();
    }

    /** The spec with its epochs in optimizer steps, refused if a schedule ends before the run does. */
    private OptimizerSpec<?> resolve(OptimizerSpec<?> spec) {
        OptimizerSpec<?> inSteps = spec.countsEpochs() ? spec.withStepsPerEpoch(stepsPerEpoch()) : spec;
        if (!inSteps.scheduled().isEmpty()) {
            inSteps.checkBudget(accumulation.steps(batchesPerEpoch(), epochs));
        }
        return inSteps;
    }

    /** Optimizer steps per epoch, as schedules counted in epochs see them. */
    private long stepsPerEpoch() {
        long batches = batchesPerEpoch();
        long steps = accumulation.stepsPerEpoch(batches);
        if (steps == 0) {
            throw new InvalidConfigException("pipeline.accumulate", "carries groups of " + accumulation.batches()
                    + " batches across epochs of " + batches + ": an epoch is no whole step, so a schedule cannot"
                    + " count epochs; count it in steps, or step on the partial group");
        }
        return steps;
    }

    private long batchesPerEpoch() {
        if (batchesPerEpoch == null) {
            long counted = countBatches();
            if (counted == 0) {
                throw new InvalidConfigException("pipeline.data", "gives no batch: the set is empty, or its sampler"
                        + " drops every batch (a batch larger than the data); nothing to train");
            }
            batchesPerEpoch = counted;
        }
        return batchesPerEpoch;
    }

    /** From the sampler of an {@link IdxDataset}; else by one pass over the set. */
    private long countBatches() {
        if (data instanceof IdxDataset idx) {
            return idx.batchesPerEpoch();
        }
        try (NDManager counting = manager().newSubManager()) {
            long count = 0;
            for (Batch batch : data.getData(counting)) {
                batch.close();
                count++;
            }
            return count;
        } catch (IOException | TranslateException e) {
            throw new IllegalStateException("cannot count the batches of pipeline.data: " + e.getMessage(), e);
        }
    }

    /** The manager the model's parameters live in. */
    private NDManager manager() {
        Parameter first = model.getParameters().values().stream().findFirst()
                .orElseThrow(() -> new InvalidConfigException("pipeline.model", "has no parameters"));
        return first.getArray().getManager();
    }

    /** Configures a {@link Pipeline}; {@link #build()} reports every problem at once. */
    public static final class Builder {
        private Block model;
        private Dataset data;
        private Dataset validation;
        private Loss loss;
        private int epochs = DEFAULT_EPOCHS;
        private Executor prefetchExecutor;
        private int prefetchDepth;
        private Long stepsPerEpoch;
        private final Map<String, Part> parts = new LinkedHashMap<>();
        private final List<String> twice = new ArrayList<>();
        private TrainingStep step;
        private final List<Metric> metrics = new ArrayList<>();
        private final List<Supplier<? extends Callback>> callbacks = new ArrayList<>();
        private CheckpointPolicy checkpoints;
        private Path resumeFrom;
        private boolean acceptChangedSettings;
        private Path runFolder;
        private Integer seed;
        private Device device;
        private Shape inputShape;
        private Monitor bestBy;
        private Accumulation.Unchecked accumulate = Accumulation.Unchecked.DEFAULT;
        private DataType precision = DEFAULT_PRECISION;

        /** A DJL block whose parameters are initialized. */
        public Builder model(Block model) {
            this.model = model;
            return this;
        }

        /** The training set. */
        public Builder data(Dataset data) {
            this.data = data;
            return this;
        }

        /** A set to measure the metrics on after each epoch (accuracy unless others are given). */
        public Builder validation(Dataset validation) {
            this.validation = validation;
            return this;
        }

        /** The loss the supervised step minimises. */
        public Builder loss(Loss loss) {
            this.loss = loss;
            return this;
        }

        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /** Reads up to {@code depth} batches ahead on {@code executor}; 0 (the default) reads each when needed. */
        public Builder prefetch(Executor executor, int depth) {
            this.prefetchExecutor = Objects.requireNonNull(executor, "executor");
            this.prefetchDepth = depth;
            return this;
        }

        /**
         * Batches per epoch, for schedules counted in epochs; left unset, they are counted from the
         * data. Without accumulation each batch is a step; with it the steps follow from the batches.
         */
        public Builder stepsPerEpoch(long stepsPerEpoch) {
            this.stepsPerEpoch = stepsPerEpoch;
            return this;
        }

        /** One optimizer step per {@code batches} batches, on the mean of their gradients ({@link Accumulation}). */
        public Builder accumulate(int batches) {
            return accumulate(batches, Accumulation.DEFAULT_MODE, Accumulation.DEFAULT_END_OF_EPOCH);
        }

        /**
         * One optimizer step per {@code batches} batches, their gradients combined as {@code mode};
         * an epoch's partial group does as {@code endOfEpoch} says ({@link Accumulation}).
         */
        public Builder accumulate(int batches, Accumulation.Mode mode, Accumulation.EndOfEpoch endOfEpoch) {
            this.accumulate = new Accumulation.Unchecked(batches, mode, endOfEpoch);
            return this;
        }

        /**
         * Mixed precision: {@code FLOAT16} casts the model's parameters to float16 before the
         * optimizers are compiled, so forward and backward run in float16 while each optimizer
         * updates float32 masters ({@link HalfPrecision}); give the optimizer a loss scale.
         * {@code BFLOAT16} only on a GPU. {@code FLOAT32}, the default, changes nothing. A
         * {@link #step step rule} of your own wraps its forward pass in
         * {@link HalfPrecision#inputs} and {@link HalfPrecision#outputs}, as the DSL's {@code forward} does.
         */
        public Builder precision(DataType precision) {
            this.precision = Objects.requireNonNull(precision, "precision");
            return this;
        }

        /** The optimizer of the whole model, named {@value TrainingLoop#DEFAULT_OPTIMIZER}. */
        public Builder optimizer(OptimizerSpec<?> spec) {
            return optimizer(TrainingLoop.DEFAULT_OPTIMIZER, null, spec);
        }

        /**
         * An optimizer named {@code name} over the parameters {@code selector} picks (null: the
         * whole model). Optimizers must not share a trainable parameter; a {@link #step} rule says
         * when each one steps.
         */
        public Builder optimizer(String name, Selector selector, OptimizerSpec<?> spec) {
            Objects.requireNonNull(name, "name");
            if (parts.putIfAbsent(name, new Part(selector, spec)) != null) {
                twice.add(name);
            }
            return this;
        }

        /**
         * What to do with each batch instead of the supervised step (null: the supervised step); it
         * must leave every optimizer after whole steps.
         */
        public Builder step(TrainingStep step) {
            this.step = step;
            return this;
        }

        /** A figure to measure on the validation set after each epoch. */
        public Builder metric(Metric metric) {
            metrics.add(Objects.requireNonNull(metric, "metric"));
            return this;
        }

        /**
         * A callback made afresh for each run ({@code LossMonitor::new}, {@code () -> new EarlyStopping(...)}),
         * so that what one remembers (early stopping's best epoch) starts over with the run.
         */
        public Builder callback(Supplier<? extends Callback> callback) {
            callbacks.add(Objects.requireNonNull(callback, "callback"));
            return this;
        }

        /** Writes checkpoints as {@code policy} says; null writes none. */
        public Builder checkpoints(CheckpointPolicy policy) {
            this.checkpoints = policy;
            return this;
        }

        /** A checkpoint written by a run of the same model and optimizers, to continue from; null starts afresh. */
        public Builder resumeFrom(Path checkpoint) {
            this.resumeFrom = checkpoint;
            return this;
        }

        /**
         * The seed of DJL's random numbers (PyTorch's {@code manual_seed}), set when the pipeline
         * is built, before it initializes the model: the same seed gives the same run. Null leaves
         * it as it is.
         */
        /** See {@link TrainingLoop.Builder#acceptChangedSettings}: false (the default) refuses such a resume. */
        public Builder acceptChangedSettings(boolean accept) {
            this.acceptChangedSettings = accept;
            return this;
        }

        public Builder seed(Integer seed) {
            this.seed = seed;
            return this;
        }

        /**
         * The input shape to initialize a model given uninitialized; left null, the first
         * training batch's. The pipeline then owns the parameters' memory and frees it on
         * {@link #close()}. A model given initialized is used as it is.
         */
        public Builder inputShape(Shape shape) {
            this.inputShape = shape;
            return this;
        }

        /**
         * Where the run computes: the model is initialized there, and batches read elsewhere are
         * copied there; the optimizers keep their state beside the parameters. A GPU that cannot be
         * used is refused, naming what was looked for. Null: the model's device, or the CPU.
         */
        public Builder device(Device device) {
            this.device = device;
            return this;
        }

        /**
         * A {@link RunFolder} to write the run's metrics, configuration, charts and diagnosis into,
         * with the best epoch's checkpoint ({@link #bestBy}) and the final one; null for none.
         */
        public Builder runFolder(Path dir) {
            this.runFolder = dir;
            return this;
        }

        /**
         * The figure the run folder's best checkpoint is kept by; null for the loop's default
         * ({@link TrainingLoop.Builder#runFolder}).
         */
        public Builder bestBy(Monitor monitor) {
            this.bestBy = monitor;
            return this;
        }

        public Pipeline build() {
            return new Pipeline(this);
        }
    }
}
