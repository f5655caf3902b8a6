package dev.anneal.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import dev.anneal.internal.FusedOps;
import dev.anneal.internal.GradientTape;
import dev.anneal.optim.Optimizer;
import dev.anneal.parallel.GradientExchange;
import dev.anneal.param.Param;

import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * The supervised step: forward, loss and backward on the batch, adding its gradients to those
 * already there; once a group of {@link Accumulation#batches()} batches is in (every batch without
 * accumulation), the gradient transforms, one optimizer step, and the gradients cleared. Gradients
 * are cleared only after a step, and at the start of a run ({@link #begin}), never between batches:
 * DJL's PyTorch engine adds each backward pass to them, which is what accumulation needs.
 *
 * <p>The loss is multiplied by the optimizer's {@link Optimizer#lossScale()} before the backward
 * pass; the optimizer divides it out, and drops a step whose gradients overflowed, after which the
 * gradients are cleared as after any step. This step evaluates the loss itself rather than handing
 * {@link Optimizer#step(DoubleSupplier)} a closure, so that a gradient transform can skip the update,
 * which a rule re-evaluating the closure could not honour (PyTorch's {@code GradScaler} refuses
 * closures). A transform's skip keeps the gradients, which the following batches add to; a
 * transform that skips to drop them clears them itself ({@link Optimizer#zeroGrad()}). A loss that is NaN or infinite
 * skips the transforms and the update, so the parameters stay those of the last finite step; the
 * {@link TrainingLoop} then stops.
 *
 * <p>In data-parallel training ({@link GradientExchange}) each batch's loss is the mean over every
 * replica's rows, and the exchange of gradients is the first thing an update does, before the
 * transforms: clipping, the non-finite check and the loss scale see the gradient of the global
 * batch, and with accumulation only the last batch of a group exchanges gradients.
 */
public final class SupervisedStep implements TrainingStep {
    private final Block block;
    private final Loss loss;
    private final String optimizerName;
    private final List<GradientTransform> transforms;
    private final Accumulation accumulation;
    /** The exchange with the other replicas; null when training alone. */
    private final GradientExchange exchange;
    /** Batches whose gradients were added since the gradients were last cleared or stepped on. */
    private int pending;
    /** False from a backward pass until the gradients are next cleared: what a checkpoint would lose. */
    private boolean clear = true;
    /** The model's parameter type, read at a run's first batch: float16 inputs for a float16 model. */
    private DataType modelType;

    /** Without accumulation: every batch steps. */
    public SupervisedStep(Block block, Loss loss, String optimizerName, List<GradientTransform> transforms) {
        this(block, loss, optimizerName, transforms, Accumulation.NONE, null);
    }

    /**
     * @param optimizerName the optimizer in the loop's {@link TrainingStep.Context} to step
     * @param transforms    run in order between the last backward of a group and the update
     * @param accumulation  how many batches each step takes, and how they combine
     * @param exchange      the exchange with the other replicas of a data-parallel run; null alone
     */
    public SupervisedStep(Block block, Loss loss, String optimizerName, List<GradientTransform> transforms,
                          Accumulation accumulation, GradientExchange exchange) {
        this.block = block;
        this.loss = loss;
        this.optimizerName = optimizerName;
        this.transforms = List.copyOf(transforms);
        this.accumulation = java.util.Objects.requireNonNull(accumulation, "accumulation");
        this.exchange = exchange;
    }

    /** Clears the gradients and starts a group: whatever an earlier, stopped run left is not added in. */
    public void begin(Context context) {
        context.optimizer(optimizerName).zeroGrad();
        pending = 0;
        clear = true;
        modelType = null;
    }

    @Override
    public double run(Batch batch, Context context) {
        Optimizer<?> optimizer = context.optimizer(optimizerName);
        if (optimizer.searches()) {
            return search(optimizer, batch, context);
        }
        int k = accumulation.batches();
        double scale = accumulation.mode() == Accumulation.Mode.MEAN && k > 1 ? 1.0 / k : 1.0;
        clear = false;
        float lossScale = context.optimizer(optimizerName).lossScale();
        if (modelType == null) {
            modelType = HalfPrecision.of(block);
        }
        double value = lossAndGradients(block, context.store(), loss, batch, modelType, scale * share(batch), lossScale);
        if (exchange != null) {
            value = exchange.loss(value, batch.getSize());
        }
        if (!Double.isFinite(value)) {
            return value; // no update from a NaN or infinite loss; the loop stops on it
        }
        if (++pending == k) {
            update(context);
        }
        return value;
    }

    /**
     * One step of a rule that evaluates the batch as often as its search needs (L-BFGS), through
     * the closure: forward and backward on this batch each time; returns the first evaluation's loss.
     */
    private double search(Optimizer<?> optimizer, Batch batch, Context context) {
        if (accumulation.batches() > 1 || !transforms.isEmpty()) {
            throw new IllegalStateException("optimizer \"" + optimizerName + "\" evaluates each batch as often as its "
                    + "search needs and steps on it alone: it takes no accumulation over batches and no gradient transforms");
        }
        if (modelType == null) {
            modelType = HalfPrecision.of(block);
        }
        clear = false;
        double[] first = {Double.NaN};
        double value;
        try {
            value = optimizer.step(() -> {
                optimizer.zeroGrad();
                double evaluated = lossAndGradients(block, context.store(), loss, batch, modelType, share(batch), 1f);
                if (exchange != null) {
                    evaluated = exchange.loss(evaluated, batch.getSize());
                    exchange.gradients(optimizer);
                }
                if (Double.isNaN(first[0])) {
                    first[0] = evaluated;
                }
                return evaluated;
            });
        } catch (ArithmeticException e) {
            if (Double.isFinite(first[0])) {
                throw e;
            }
            return first[0]; // refused before anything moved; the loop stops on a non-finite loss, as for any rule
        }
        clear = true;
        return value;
    }

    /**
     * Steps on a group left partial when the batches ran out (the end of an epoch or run); under
     * {@link Accumulation.Mode#MEAN} its gradients become the mean of the batches it has.
     */
    public void finishGroup(Context context) {
        if (pending == 0) {
            return;
        }
        int k = accumulation.batches();
        if (accumulation.mode() == Accumulation.Mode.MEAN && pending < k) {
            scaleGradients(context.optimizer(optimizerName), (float) ((double) k / pending));
        }
        update(context);
    }

    /** Batches added to the gradients and not yet stepped on. */
    public int pending() {
        return pending;
    }

    /** True when the gradients hold nothing a checkpoint would have to keep: at a step boundary. */
    public boolean settled() {
        return clear;
    }

    private void update(Context context) {
        Optimizer<?> optimizer = context.optimizer(optimizerName);
        pending = 0;
        if (exchange != null) {
            exchange.gradients(optimizer);
        }
        for (GradientTransform transform : transforms) {
            if (!transform.apply(optimizer)) {
                return;
            }
        }
        optimizer.step();
        optimizer.zeroGrad();
        clear = true;
    }

    /** What this replica's batch weighs in a data-parallel run's global batch; 1 alone. */
    private double share(Batch batch) {
        return exchange == null ? 1.0 : exchange.share(batch.getSize());
    }

    private static void scaleGradients(Optimizer<?> optimizer, float factor) {
        for (Param p : optimizer.parameters().trainable()) {
            try (NDScope ignored = new NDScope()) {
                p.array().getGradient().muli(factor); // in place: the fused path reads this memory
            }
        }
    }

    /** Forward, loss and backward on one batch, in training mode; returns the loss. */
    public static float lossAndGradients(Block block, ParameterStore store, Loss loss, Batch batch) {
        return lossAndGradients(block, store, loss, batch, HalfPrecision.of(block), 1.0, 1f);
    }

    /**
     * The same, back-propagating the loss times {@code scale} (the 1/k of a mean over k
     * micro-batches), then times {@code lossScale} in the loss's own precision, as
     * {@code GradScaler.scale(loss)} does; returns the loss itself, unscaled.
     */
    static float lossAndGradients(Block block, ParameterStore store, Loss loss, Batch batch, DataType model,
                                  double scale, float lossScale) {
        try (GradientCollector collector = GradientTape.open(batch.getManager().getEngine().getEngineName())) {
            Device device = store.getManager().getDevice(); // the model's: a batch read on the CPU is copied there
            NDList inputs = HalfPrecision.inputs(Devices.on(batch.getData(), device), model);
            NDList predictions = HalfPrecision.outputs(block.forward(store, inputs, true));
            NDArray value = loss.evaluate(Devices.on(batch.getLabels(), device), predictions);
            NDArray scaled = scale == 1.0 ? value : value.mul(FusedOps.constant(value, scale));
            collector.backward(lossScale == 1f ? scaled : scaled.mul(FusedOps.constant(scaled, FusedOps.scalar(scaled, lossScale))));
            return value.getFloat();
        }
    }
}
