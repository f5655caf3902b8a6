package dev.anneal.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.anneal.config.Checks;
import dev.anneal.param.Param;
import dev.anneal.param.ParameterSet;

import java.util.stream.Stream;

/**
 * Mixed precision as the loop runs it: a model whose parameters are float16 (cast with
 * {@link #cast}) gets its inputs in float16, so forward and backward run in half precision, and
 * its outputs back in float32, so the loss is computed in float32. The optimizer keeps float32
 * masters of half-precision parameters and updates those; a loss scale keeps small gradients
 * from flushing to zero in float16.
 */
public final class HalfPrecision {
    /** Why bfloat16 is refused on the CPU, for every place that refuses it. */
    public static final String BFLOAT16_ON_CPU =
            "is not available on the CPU (DJL 0.35.1 aborts the JVM on any bfloat16 CPU tensor)";

    private HalfPrecision() {
    }

    /**
     * Casts the block's float32 parameters to {@code type} (float16, or bfloat16 on a GPU) before
     * its optimizer is compiled: new arrays, so an optimizer compiled before would hold the old
     * ones. bfloat16 on the CPU is refused before any bfloat16 tensor exists: DJL 0.35.1 aborts
     * the JVM on one.
     */
    public static void cast(Block block, DataType type, Device device) {
        Checks c = new Checks("");
        check(type, device, c);
        c.throwIfAny();
        // DJL's blocks do not implement cast(): each parameter gets a new array of the type.
        for (Parameter p : block.getParameters().values()) {
            NDArray array = p.getArray();
            if (array.getDataType() == DataType.FLOAT32) {
                NDArray half = array.toType(type, true); // a new leaf: DJL's casts leave the autograd graph
                p.close();
                p.setShape(null);
                p.setArray(half);
                half.setRequiresGradient(p.requiresGradient());
            }
        }
    }

    /**
     * Reports under {@code c}'s {@code precision} a type that is no half precision, or bfloat16
     * on the CPU; {@code device} may be null while the model is not initialized.
     */
    public static void check(DataType type, Device device, Checks c) {
        if (c.require(isHalf(type), "precision",
                "must be FLOAT16 or BFLOAT16 for mixed precision, got " + type)) {
            c.require(type != DataType.BFLOAT16 || device == null
                            || !Device.cpu().getDeviceType().equals(device.getDeviceType()), "precision",
                    "BFLOAT16 " + BFLOAT16_ON_CPU + "; use FLOAT16");
        }
    }

    /** The type of the block's parameters: float32 unless the model was cast to half precision. */
    static DataType of(Block block) {
        return of(block.getParameters().values().stream().map(Parameter::getArray));
    }

    /** The same from a parameter set, which holds its parameters already: no walk through the block. */
    static DataType of(ParameterSet parameters) {
        return of(parameters.all().stream().map(Param::array));
    }

    private static DataType of(Stream<NDArray> arrays) {
        return arrays.map(NDArray::getDataType).filter(DataType::isFloating).findFirst().orElse(DataType.FLOAT32);
    }

    /**
     * Floating inputs in the model's type when it is half precision; the others as they are. A
     * step rule of your own over a half-precision model wraps its forward pass in this and {@link #outputs}.
     */
    public static NDList inputs(NDList data, DataType model) {
        if (!isHalf(model)) {
            return data;
        }
        NDList cast = new NDList(data.size());
        for (NDArray a : data) {
            cast.add(a.getDataType().isFloating() && a.getDataType() != model ? a.toType(model, false) : a);
        }
        return cast;
    }

    /**
     * Outputs in float32, for the loss and the metrics. Widened by a product with a float32 one,
     * which type promotion makes float32: DJL's {@code toType} leaves the autograd graph, so the
     * backward pass would not reach the model through it.
     */
    public static NDList outputs(NDList predictions) {
        if (predictions.stream().noneMatch(a -> isHalf(a.getDataType()))) {
            return predictions; // a float32 model: nothing to widen, no new list per batch
        }
        NDList wide = new NDList(predictions.size());
        for (NDArray a : predictions) {
            wide.add(isHalf(a.getDataType()) ? a.mul(a.getManager().ones(new Shape(1), DataType.FLOAT32, a.getDevice())) : a);
        }
        return wide;
    }

    private static boolean isHalf(DataType type) {
        return type == DataType.FLOAT16 || type == DataType.BFLOAT16;
    }
}
