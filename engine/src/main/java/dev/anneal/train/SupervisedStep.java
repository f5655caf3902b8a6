package dev.anneal.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import dev.anneal.optim.Optimizer;

import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * The supervised step: a closure that clears the gradients and recomputes the loss and its
 * gradients (forward, loss, backward), then the gradient transforms, then one optimizer step.
 * The closure is the one {@link Optimizer#step(DoubleSupplier)} takes; this step evaluates it
 * itself so that a gradient transform can skip the update (a loss scaler on overflow), which a
 * rule re-evaluating the closure could not honour (PyTorch's {@code GradScaler} refuses closures).
 * A loss that is NaN or infinite skips the transforms and the update, so the parameters stay
 * those of the last finite step; the {@link TrainingLoop} then stops.
 */
public final class SupervisedStep implements TrainingStep {
    private final Block block;
    private final Loss loss;
    private final String optimizerName;
    private final List<GradientTransform> transforms;

    /**
     * @param optimizerName the optimizer in the loop's {@link TrainingStep.Context} to step
     * @param transforms    run in order between backward and the update
     */
    public SupervisedStep(Block block, Loss loss, String optimizerName, List<GradientTransform> transforms) {
        this.block = block;
        this.loss = loss;
        this.optimizerName = optimizerName;
        this.transforms = List.copyOf(transforms);
    }

    @Override
    public double run(Batch batch, Context context) {
        Optimizer<?> optimizer = context.optimizer(optimizerName);
        DoubleSupplier closure = () -> {
            optimizer.zeroGrad();
            return lossAndGradients(block, context.store(), loss, batch);
        };
        double value = closure.getAsDouble();
        if (!Double.isFinite(value)) {
            return value; // no update from a NaN or infinite loss; the loop stops on it
        }
        for (GradientTransform transform : transforms) {
            if (!transform.apply(optimizer)) {
                return value;
            }
        }
        optimizer.step();
        return value;
    }

    /** Forward, loss and backward on one batch, in training mode; returns the loss. */
    public static float lossAndGradients(Block block, ParameterStore store, Loss loss, Batch batch) {
        try (GradientCollector collector = Engine.getEngine(batch.getManager().getEngine().getEngineName())
                .newGradientCollector()) {
            NDList predictions = block.forward(store, batch.getData(), true);
            NDArray value = loss.evaluate(batch.getLabels(), predictions);
            collector.backward(value);
            return value.getFloat();
        }
    }
}
