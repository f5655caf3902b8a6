package dev.anneal.param;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One named parameter: DJL's hierarchical name ({@code 04Conv2d_weight}), the layer that owns
 * it, its kind and its live array. Trainability is read live, so unfreezing a layer after
 * compiling is seen by the optimizer that adds its group.
 */
public final class Param {
    private final String name;
    private final String layer;
    private final Parameter.Type type;
    private final Supplier<NDArray> array;
    private final BooleanSupplier trainable;

    Param(String name, String layer, Parameter.Type type, Supplier<NDArray> array, BooleanSupplier trainable) {
        this.name = Objects.requireNonNull(name, "name");
        this.layer = Objects.requireNonNull(layer, "layer");
        this.type = Objects.requireNonNull(type, "type");
        this.array = array;
        this.trainable = trainable;
    }

    /** DJL's hierarchical name, the key of {@code block.getParameters()}. */
    public String name() {
        return name;
    }

    /** Simple class name of the block that owns the parameter ({@code Conv2d}), or "" if unknown. */
    public String layer() {
        return layer;
    }

    /** DJL's parameter type (WEIGHT, BIAS, GAMMA, BETA, RUNNING_MEAN, ...); OTHER if unknown. */
    public Parameter.Type type() {
        return type;
    }

    public NDArray array() {
        return array.get();
    }

    public Shape shape() {
        return array().getShape();
    }

    /**
     * Overwrites the values in place with {@code values} (same shape and type), as a checkpoint
     * or early stopping puts parameters back. An index assignment through a detached view, which
     * shares the storage and is allowed where autograd would refuse an in-place change to a
     * parameter (a thread with gradients on); DJL's {@code copyTo} makes libtorch print a
     * deprecation warning. Values on another device (an optimizer's host store) are moved first.
     */
    public void assign(NDArray values) {
        try (NDArray view = array().stopGradient()) {
            if (values.getDevice().equals(view.getDevice())) {
                view.set(new NDIndex("..."), values);
            } else {
                try (NDArray moved = values.toDevice(view.getDevice(), false)) {
                    view.set(new NDIndex("..."), moved);
                }
            }
        }
    }

    /** Whether the optimizer may update it now: not frozen and not a running statistic. */
    public boolean isTrainable() {
        return trainable.getAsBoolean();
    }

    @Override
    public String toString() {
        return name;
    }
}
