package dev.anneal.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import dev.anneal.train.metric.Metric;
import dev.anneal.train.metric.TopK;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's forward pass in inference mode (no dropout, batch norm on its running statistics,
 * no gradient recorded), as Keras's {@code evaluate} and {@code predict}: over a dataset into
 * metrics, or over inputs into outputs. In mixed precision the inputs go in in the model's half
 * type and the outputs come back in float32.
 */
public final class Evaluation {
    private Evaluation() {
    }

    /** {@code metrics}, or accuracy when none are named. */
    public static List<Metric> orAccuracy(List<? extends Metric> metrics) {
        return metrics.isEmpty() ? List.of(TopK.accuracy()) : List.copyOf(metrics);
    }

    /**
     * Each of {@code metrics} over every batch of {@code data}, by name, in their order; the
     * metrics are reset first. The batches' arrays live in a sub-manager of {@code manager},
     * freed on return.
     */
    public static Map<String, Double> measure(Block block, Dataset data, List<? extends Metric> metrics,
                                              ParameterStore store, NDManager manager) throws IOException, TranslateException {
        metrics.forEach(Metric::reset);
        try (NDManager evalManager = manager.newSubManager()) {
            for (Batch batch : data.getData(evalManager)) {
                try (batch) {
                    NDArray predictions = predict(block, batch.getData(), store).singletonOrThrow();
                    NDArray labels = Devices.on(batch.getLabels(), store.getManager().getDevice()).singletonOrThrow();
                    for (Metric metric : metrics) {
                        metric.update(predictions, labels);
                    }
                }
            }
        }
        Map<String, Double> values = new LinkedHashMap<>();
        metrics.forEach(m -> values.put(m.name(), m.value()));
        return values;
    }

    /** The model's outputs for {@code inputs}, copied to the model's device first if they are elsewhere. */
    public static NDList predict(Block block, NDList inputs, ParameterStore store) {
        DataType model = HalfPrecision.of(block);
        return HalfPrecision.outputs(block.forward(store, HalfPrecision.inputs(Devices.on(inputs, store.getManager().getDevice()), model), false));
    }
}
