package dev.anneal.train;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.dataset.RandomAccessDataset;
import dev.anneal.config.Checks;
import dev.anneal.data.Examples;

import java.util.OptionalInt;

/**
 * The checks a data set passes before the first step, so that what would fail inside libtorch
 * in the middle of an epoch fails at the door, naming the files: the set has examples, a training
 * set's batch is not larger than the data (unless that was asked for), and, where the set can
 * describe itself ({@link Examples}), its examples have the shape the model was initialized for
 * and its labels are among the model's classes.
 */
final class DataChecks {
    private DataChecks() {
    }

    /**
     * @param training whether the set trains (batch size checked) rather than validates
     * @param forward  whether the model runs on its examples (shape and labels checked): a step of
     *                 your own may use a training set as it likes
     */
    static void check(Checks c, String field, Dataset data, Block block, boolean training, boolean forward) {
        String use = training ? "train on" : "validate on";
        if (data instanceof RandomAccessDataset set && set.size() == 0) {
            c.fail(field, "has no examples: nothing to " + use);
            return;
        }
        if (!(data instanceof Examples examples)) {
            return;
        }
        String from = " (" + examples.source() + ")";
        OptionalInt batch = examples.batchSize();
        if (training && batch.isPresent() && batch.getAsInt() > examples.size() && !examples.smallerBatchAllowed()) {
            c.fail(field, "has batches of " + batch.getAsInt() + ", more than its " + examples.size() + " examples" + from
                    + "; use a batch size of at most " + examples.size()
                    + ", or allowBatchLargerThanData() for one smaller batch an epoch");
        }
        Shape input = inputShape(block);
        if (!forward || input == null) {
            return;
        }
        Shape expected = input.slice(1);
        examples.exampleShape().ifPresent(shape -> c.require(shape.equals(expected), field, "has examples of shape "
                + shape + from + ", but the model was initialized for " + expected + " (inputs " + input
                + "); give it data of that shape, or initialize it for " + shape));
        long classes = classes(block, input);
        c.require(classes < 1 || examples.classesNeeded() <= classes, field, "has labels up to "
                + (examples.classesNeeded() - 1) + from + ", but the model has " + classes
                + " classes; labels must be class indices from 0 to " + (classes - 1));
    }

    /** The one input shape the model was initialized for, batch first; null when it has several or cannot say. */
    private static Shape inputShape(Block block) {
        try {
            Shape[] shapes = block.getInputShapes();
            return shapes != null && shapes.length == 1 && shapes[0].dimension() >= 1 ? shapes[0] : null;
        } catch (RuntimeException e) {
            return null; // not initialized through initialize(...): nothing to compare with
        }
    }

    /** The classes of a model whose output is {@code (N, classes)}; 0 for any other output or when it cannot say. */
    private static long classes(Block block, Shape input) {
        try {
            Shape[] out = block.getOutputShapes(new Shape[] {input});
            return out.length == 1 && out[0].dimension() == 2 ? out[0].get(1) : 0;
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
