package dev.anneal.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.anneal.config.InvalidConfigException;
import dev.anneal.param.ParameterSet;

import java.util.HashMap;
import java.util.Map;

/**
 * An Anneal optimizer in the place of a DJL optimizer, for {@code DefaultTrainingConfig
 * .optOptimizer(...)}, {@code Trainer.step()} and {@code EasyTrain.fit}. Close it when training
 * ends (DJL's trainer does not close its optimizer); {@code try (var optimizer = ...)} does.
 *
 * <p>DJL calls {@link #update} once per parameter, in hash order, with an opaque id. This adapter
 * maps ids to the block's hierarchical names (so groups and state use names) and compiles the
 * spec on the first call, when the trainer has initialized the block. It advances Anneal's step
 * counter once per training step: each parameter's calls are counted, and a parameter whose count
 * passes the step counter starts the next step (a parameter that joins late or was frozen stays
 * behind and starts nothing). Like DJL's built-in PyTorch optimizers it clears each weight's
 * gradient after updating it. One device only: DJL keeps a replica per device and would call
 * {@code update} once per replica.
 */
public final class DjlOptimizer extends ai.djl.training.optimizer.Optimizer implements AutoCloseable {
    private final OptimizerSpec<?> spec;
    private final Block block;
    private final Map<String, String> nameById = new HashMap<>();
    private final Map<String, Long> callsById = new HashMap<>();
    private Optimizer<?> optimizer;
    private Device device;

    private DjlOptimizer(OptimizerSpec<?> spec, Block block) {
        super(new NoOptions());
        this.spec = spec;
        this.block = block;
    }

    /** An adapter for {@code spec} over {@code block}'s parameters, compiled when training starts. */
    public static DjlOptimizer of(OptimizerSpec<?> spec, Block block) {
        if (spec.chain().stages().stream().anyMatch(Stage::searches)) {
            throw new InvalidConfigException("optimizer." + spec.chain().name(), "evaluates the loss several times a "
                    + "step, through a closure, which DJL's trainer cannot give; train it with Anneal's loop or "
                    + "call step(closure)");
        }
        return new DjlOptimizer(spec, block);
    }

    /** The Anneal optimizer behind this adapter, once training has started: groups, steps, audit, state. */
    public Optimizer<?> optimizer() {
        if (optimizer == null) {
            throw new IllegalStateException("the optimizer is compiled at the first update; no step has run yet");
        }
        return optimizer;
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        if (optimizer == null) {
            optimizer = spec.compile(ParameterSet.of(block));
            for (Pair<String, Parameter> entry : block.getParameters()) {
                nameById.put(entry.getValue().getId(), entry.getKey());
            }
        }
        if (device == null) {
            device = weight.getDevice();
        } else if (!device.equals(weight.getDevice())) {
            throw new UnsupportedOperationException("Anneal's DJL adapter trains on one device; got " + device
                    + " and " + weight.getDevice() + " (configure the trainer with one device)");
        }
        String name = nameById.get(parameterId);
        if (name == null) {
            throw new IllegalArgumentException("parameter id " + parameterId
                    + " is not in the block this optimizer was built for");
        }
        long calls = callsById.merge(parameterId, 1L, Long::sum);
        if (calls > optimizer.stepCount() && optimizer.manages(name)) {
            optimizer.advance();
        }
        try (NDScope ignored = new NDScope()) {
            optimizer.update(name, weight, grad);
            optimizer.clearGradient(weight);
        }
    }

    @Override
    public void close() {
        if (optimizer != null) {
            optimizer.close();
        }
    }

    /** DJL's base class wants a builder; its options (rescale, clip, decay) are not used. */
    private static final class NoOptions extends OptimizerBuilder<NoOptions> {
        @Override
        protected NoOptions self() {
            return this;
        }
    }
}
