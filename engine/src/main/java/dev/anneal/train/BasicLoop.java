package dev.anneal.train;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.loss.Loss;
import ai.djl.translate.TranslateException;
import dev.anneal.optim.Optimizer;
import dev.anneal.train.metric.TopK;

import java.io.IOException;

/**
 * The plainest supervised loop over a DJL block driven by an Anneal optimizer: forward, loss,
 * backward, one optimizer step, gradients cleared. Each batch's arrays are freed with the batch.
 */
public final class BasicLoop {
    private BasicLoop() {
    }

    /** Trains on one batch and returns its loss; the loss is multiplied by the optimizer's loss scale before backward. */
    public static float trainBatch(Block block, ParameterStore store, Loss loss, Batch batch, Optimizer<?> optimizer) {
        float value = SupervisedStep.lossAndGradients(block, store, loss, batch, HalfPrecision.of(optimizer.parameters()),
                1.0, optimizer.lossScale());
        optimizer.step();
        optimizer.zeroGrad();
        return value;
    }

    /** Fraction of samples whose highest-scoring class is the label, in inference mode. */
    public static double accuracy(Block block, ParameterStore store, Dataset data, NDManager manager)
            throws IOException, TranslateException {
        TopK accuracy = TopK.accuracy();
        for (Batch batch : data.getData(manager)) {
            try (batch) {
                accuracy.update(block.forward(store, batch.getData(), false).singletonOrThrow(),
                        batch.getLabels().singletonOrThrow());
            }
        }
        return accuracy.value();
    }
}
