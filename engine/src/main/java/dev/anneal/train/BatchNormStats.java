package dev.anneal.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import dev.anneal.config.InvalidConfigException;

import java.io.IOException;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The running statistics of a model's batch-norm layers (DJL's {@link BatchNorm}, whose running
 * mean and variance are {@link Parameter}s of type {@code RUNNING_MEAN} and {@code RUNNING_VAR}),
 * recomputed for the weights the model holds now: PyTorch's {@code torch.optim.swa_utils.update_bn}
 * (1.13), which an average of the weights needs, since the statistics the model kept during
 * training belong to other weights.
 *
 * <p>{@link #recompute} does what {@code update_bn} does: it resets every running mean to zeros and
 * variance to ones, then makes one forward pass in training mode over the data (dropout and all,
 * as {@code model.train()}; labels unused), with every layer's momentum {@code None}, that is, a
 * cumulative average: after the k-th batch a layer has seen, with {@code b} that batch's mean or
 * unbiased variance,
 *
 * <pre>
 * f = (float) (1.0 / k),  g = 1 - f                       (float32)
 * mean = f * b + g * mean                                  (float32 products and sum)
 * var  = (float) ((double) f * b + (double) (g * var))     (the variance's sum in double)
 * </pre>
 *
 * as PyTorch's CPU kernel rounds it ({@code batch_norm_cpu_update_stats_template}, measured on
 * 1.13 against its {@code BatchNorm1d(momentum=None)} bit for bit); a float64 layer computes the
 * same in double. A layer called twice in one pass (shared, or DJL's {@code GhostBatchNorm} with
 * its splits) counts each call, as PyTorch's {@code num_batches_tracked} does; one the data never
 * reaches keeps zeros and ones.
 *
 * <p>How: DJL's {@code BatchNorm} has a momentum that weighs the old value (PyTorch's is the weight
 * of the new one; DJL passes {@code 1 - momentum} to libtorch), fixed when the layer is built.
 * For the pass it is set to 0, so that each call leaves exactly its batch's statistics, in arrays
 * handed to the layer in place of its own; the cumulative average above is taken from those.
 * The layers' momenta are put back afterwards, whatever happens. A running statistic that belongs
 * to a layer other than a {@code BatchNorm} is refused, since its update rule is not known here.
 */
public final class BatchNormStats {
    /** DJL's BatchNorm keeps its momentum in a private field; the pass sets it for its duration. */
    private static final Field MOMENTUM = momentumField();

    private BatchNormStats() {
    }

    private static Field momentumField() {
        try {
            Field field = BatchNorm.class.getDeclaredField("momentum");
            field.setAccessible(true);
            return field.getType() == float.class ? field : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** Whether {@code block} has batch-norm layers, whose statistics {@link #recompute} would change. */
    public static boolean present(Block block) {
        return !layers(block).isEmpty();
    }

    /**
     * Recomputes the running statistics of every batch-norm layer in {@code block} with one
     * forward pass in training mode over {@code data}, as {@code update_bn(loader, model)}; arrays
     * of the pass live in a sub-manager of {@code manager}, closed when it ends. The statistics
     * are written once the pass is over, so a pass that fails (the data, the forward) leaves them
     * as they were. A block without batch norm is left as it is.
     */
    public static void recompute(Block block, Dataset data, NDManager manager) throws IOException, TranslateException {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(manager, "manager");
        List<Layer> layers = layers(block);
        if (layers.isEmpty()) {
            return;
        }
        if (MOMENTUM == null) {
            throw new IllegalStateException("this DJL's BatchNorm keeps no float field \"momentum\" that "
                    + "BatchNormStats can set for its pass; the running statistics cannot be recomputed");
        }
        float[] momenta = new float[layers.size()];
        try (NDManager pass = manager.newSubManager()) {
            for (int i = 0; i < layers.size(); i++) {
                momenta[i] = layers.get(i).momentum();
                layers.get(i).reset();
            }
            try {
                layers.forEach(layer -> layer.setMomentum(0f)); // libtorch's momentum 1: the batch's own statistics
                Recorder store = new Recorder(pass, layers);
                DataType model = HalfPrecision.of(block);
                for (Batch batch : data.getData(pass)) {
                    try (batch; NDManager calls = pass.newSubManager()) {
                        store.calls = calls;
                        block.forward(store, HalfPrecision.inputs(batch.getData(), model), true);
                        store.fold();
                    }
                }
            } finally {
                for (int i = 0; i < layers.size(); i++) {
                    layers.get(i).setMomentum(momenta[i]);
                }
            }
            for (Layer layer : layers) {
                layer.write(pass);
            }
        }
    }

    /**
     * A copy of every batch-norm running statistic in {@code block}, to put back with
     * {@link Snapshot#restore()} after evaluating with recomputed ones.
     */
    public static Snapshot snapshot(Block block) {
        Map<Parameter, NDArray> copies = new LinkedHashMap<>();
        for (Layer layer : layers(block)) {
            for (Parameter p : List.of(layer.mean, layer.var)) {
                NDArray copy = p.getArray().duplicate();
                NDScope.unregister(copy);
                copies.put(p, copy);
            }
        }
        return new Snapshot(copies);
    }

    /** Running statistics as they were; {@link #restore()} puts them back and frees the copies. */
    public static final class Snapshot {
        private final Map<Parameter, NDArray> copies;
        private boolean restored;

        private Snapshot(Map<Parameter, NDArray> copies) {
            this.copies = copies;
        }

        /** Puts the statistics back, bit for bit, and frees the copies; once only. */
        public void restore() {
            if (restored) {
                throw new IllegalStateException("this snapshot was restored already");
            }
            restored = true;
            try (NDScope ignored = new NDScope()) {
                copies.forEach((p, copy) -> p.getArray().set(new NDIndex("..."), copy));
            } finally {
                copies.values().forEach(NDArray::close);
            }
        }
    }

    /** Every BatchNorm in the block, in the order of the block's parameters; other running statistics refused. */
    private static List<Layer> layers(Block block) {
        Objects.requireNonNull(block, "block");
        Map<Parameter, Block> owners = new IdentityHashMap<>();
        Map<Block, Layer> layers = new IdentityHashMap<>();
        collect(block, "", owners, layers);
        List<Layer> ordered = new ArrayList<>();
        for (Pair<String, Parameter> entry : block.getParameters()) {
            Parameter p = entry.getValue();
            if (p.getType() != Parameter.Type.RUNNING_MEAN && p.getType() != Parameter.Type.RUNNING_VAR) {
                continue;
            }
            Layer layer = layers.get(owners.get(p));
            if (layer == null) {
                Block owner = owners.get(p);
                throw new InvalidConfigException("batchNormStats", "cannot recompute " + entry.getKey() + ", a running "
                        + "statistic of " + (owner == null ? "an unknown layer" : owner.getClass().getSimpleName())
                        + ": only DJL's BatchNorm (and its subclasses) update theirs in a way known here");
            }
            if (!ordered.contains(layer)) {
                if (!layer.mean.isInitialized() || !layer.var.isInitialized()) {
                    throw new IllegalStateException("parameter " + entry.getKey() + " is not initialized: "
                            + "call block.initialize(...) first");
                }
                ordered.add(layer);
            }
        }
        return ordered;
    }

    private static void collect(Block block, String path, Map<Parameter, Block> owners, Map<Block, Layer> layers) {
        Parameter mean = null;
        Parameter var = null;
        for (Pair<String, Parameter> entry : block.getDirectParameters()) {
            owners.put(entry.getValue(), block);
            if (entry.getValue().getType() == Parameter.Type.RUNNING_MEAN) {
                mean = entry.getValue();
            } else if (entry.getValue().getType() == Parameter.Type.RUNNING_VAR) {
                var = entry.getValue();
            }
        }
        if (block instanceof BatchNorm bn && mean != null && var != null) {
            layers.putIfAbsent(block, new Layer(bn, path, mean, var));
        }
        for (Pair<String, Block> child : block.getChildren()) {
            collect(child.getValue(), path + child.getKey() + "/", owners, layers);
        }
    }

    /** One BatchNorm: its statistics' parameters and their cumulative averages in this pass. */
    private static final class Layer {
        final BatchNorm block;
        final String path;
        final Parameter mean;
        final Parameter var;
        boolean doubles;
        /** The cumulative averages, float32 values unless {@link #doubles}. */
        double[] meanSum;
        double[] varSum;
        long count;

        Layer(BatchNorm block, String path, Parameter mean, Parameter var) {
            this.block = block;
            this.path = path;
            this.mean = mean;
            this.var = var;
        }

        /** update_bn's reset: means zero, variances one, no batch seen. */
        void reset() {
            doubles = mean.getArray().getDataType() == DataType.FLOAT64;
            int channels = Math.toIntExact(mean.getArray().size());
            meanSum = new double[channels];
            varSum = new double[channels];
            java.util.Arrays.fill(varSum, 1);
            count = 0;
        }

        float momentum() {
            try {
                return MOMENTUM.getFloat(block);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }

        void setMomentum(float momentum) {
            try {
                MOMENTUM.setFloat(block, momentum);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Folds one call's batch statistics into the cumulative averages, rounding as PyTorch does. */
        void add(NDArray batchMean, NDArray batchVar) {
            count++;
            if (doubles) {
                double[] b = batchMean.toDoubleArray();
                double[] v = batchVar.toDoubleArray();
                double f = 1.0 / count;
                double g = 1 - f;
                for (int c = 0; c < meanSum.length; c++) {
                    meanSum[c] = f * b[c] + g * meanSum[c];
                    varSum[c] = f * v[c] + g * varSum[c];
                }
                return;
            }
            float[] b = batchMean.toType(DataType.FLOAT32, false).toFloatArray();
            float[] v = batchVar.toType(DataType.FLOAT32, false).toFloatArray();
            float f = (float) (1.0 / count);
            float g = 1 - f;
            for (int c = 0; c < meanSum.length; c++) {
                meanSum[c] = f * b[c] + g * (float) meanSum[c];
                varSum[c] = (float) ((double) f * v[c] + (double) (g * (float) varSum[c]));
            }
        }

        /** Puts the averages into the layer's own arrays, in their type and on their device. */
        void write(NDManager manager) {
            for (Parameter p : List.of(mean, var)) {
                double[] values = p == mean ? meanSum : varSum;
                NDArray target = p.getArray();
                NDArray source;
                if (doubles) {
                    source = manager.create(values, target.getShape());
                } else {
                    float[] floats = new float[values.length];
                    for (int c = 0; c < values.length; c++) {
                        floats[c] = (float) values[c]; // exact: each holds a float32 value
                    }
                    source = manager.create(floats, target.getShape());
                }
                source = source.toDevice(target.getDevice(), false).toType(target.getDataType(), false);
                target.set(new NDIndex("..."), source);
            }
        }
    }

    /**
     * The parameter store of the pass: it hands each BatchNorm fresh arrays in place of its
     * running statistics, and records them, call by call, to fold them in after the forward pass.
     */
    private static final class Recorder extends ParameterStore {
        private final Map<Parameter, Layer> byStatistic = new IdentityHashMap<>();
        private final List<Pair<Layer, NDArray[]>> recorded = new ArrayList<>();
        NDManager calls;

        Recorder(NDManager manager, List<Layer> layers) {
            super(manager, false);
            for (Layer layer : layers) {
                byStatistic.put(layer.mean, layer);
                byStatistic.put(layer.var, layer);
            }
        }

        @Override
        public NDArray getValue(Parameter parameter, Device device, boolean training) {
            Layer layer = parameter == null ? null : byStatistic.get(parameter);
            if (layer == null || !training) {
                return super.getValue(parameter, device, training);
            }
            NDArray own = parameter.getArray();
            NDArray fresh = calls.zeros(own.getShape(), own.getDataType(), device);
            // BatchNorm asks for its mean, then its variance, for each call.
            if (parameter == layer.mean) {
                recorded.add(new Pair<>(layer, new NDArray[] {fresh, null}));
            } else {
                Pair<Layer, NDArray[]> last = recorded.isEmpty() ? null : recorded.get(recorded.size() - 1);
                if (last == null || last.getKey() != layer || last.getValue()[1] != null) {
                    throw new IllegalStateException("batch norm " + layer.path + " asked for its running variance "
                            + "without its mean first; BatchNormStats follows DJL's BatchNorm, which asks for both");
                }
                last.getValue()[1] = fresh;
            }
            return fresh;
        }

        /** Folds the statistics of this forward pass's calls, in call order. */
        void fold() {
            for (Pair<Layer, NDArray[]> call : recorded) {
                if (call.getValue()[1] == null) {
                    throw new IllegalStateException("batch norm " + call.getKey().path + " asked for its running mean "
                            + "but not its variance");
                }
                call.getKey().add(call.getValue()[0], call.getValue()[1]);
            }
            recorded.clear();
        }
    }
}
