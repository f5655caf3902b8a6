package dev.anneal.train;

import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import dev.anneal.optim.Optimizer;

/**
 * What a {@link TrainingLoop} does with each batch: usually {@link SupervisedStep} (forward, loss,
 * backward, gradient transforms, one optimizer step); a GAN alternates its discriminator's and
 * generator's steps instead. Whatever it does, it must leave the model and every optimizer after
 * whole steps, since the loop stops only between batches.
 */
@FunctionalInterface
public interface TrainingStep {
    /** Trains on {@code batch} and returns the loss to report for it. */
    double run(Batch batch, Context context);

    /** What the loop lends a step. */
    interface Context {
        /** The store to run the model's forward pass with, in training mode. */
        ParameterStore store();

        /** The optimizer registered under {@code name}; an unknown name is an error listing the names. */
        Optimizer<?> optimizer(String name);
    }
}
