package dev.anneal.train;

/**
 * What a training loop reports to its callbacks, in order: its start, batches, then each epoch's
 * validation and end, with checkpoints as they are written.
 */
public sealed interface TrainingEvent {
    /**
     * Before the first batch: what a callback must know to refuse a setting before anything
     * trains (a figure to watch that the run does not measure).
     *
     * @param figures the figures every epoch row of the {@link History} has: {@code train_loss},
     *                then {@code val_<name>} for each validation metric
     */
    record Started(int epochs, java.util.List<String> figures) implements TrainingEvent {
        public Started {
            figures = java.util.List.copyOf(figures);
        }
    }

    /**
     * After each batch: one optimizer step, or with {@link Accumulation} one micro-batch, so that
     * {@code step} moves once per group of k batches.
     *
     * @param epoch  0-based epoch
     * @param batch  1-based batch within the epoch
     * @param step   the optimizer's step count after this batch
     * @param loss   this batch's loss
     * @param meanLoss mean loss of the epoch so far
     * @param millis time of this batch (data, forward, backward, step)
     * @param lr     the learning rate the last step used (the default group's)
     * @param gradNorm     the gradients' total norm as the last step's clipping saw it (NaN without clipping)
     * @param lossScale    what the next loss is multiplied by (1 without loss scaling)
     * @param skippedSteps steps the optimizer dropped so far (overflows, non-finite gradients)
     */
    record BatchEnd(int epoch, int epochs, long batch, long batches, long step, double loss, double meanLoss,
                    double millis, double lr, double gradNorm, double lossScale, long skippedSteps)
            implements TrainingEvent {
    }

    /**
     * After the last batch of an epoch and its validation, if any.
     *
     * @param step               the optimizer's step count at the epoch's end
     * @param validationAccuracy NaN when there is no validation set
     */
    record EpochEnd(int epoch, int epochs, long step, long batches, double meanLoss, double millis,
                    double validationAccuracy) implements TrainingEvent {
    }

    /**
     * After an epoch's validation, before its {@link EpochEnd}.
     *
     * @param metrics each figure by its metric's name ({@code accuracy}, {@code top5}, {@code loss})
     */
    record Validated(int epoch, long step, java.util.Map<String, Double> metrics) implements TrainingEvent {
        public Validated {
            metrics = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metrics));
        }
    }

    /**
     * After a checkpoint was written, between batches.
     *
     * @param epoch the 0-based epoch a run resumed from it starts in
     * @param batch batches of that epoch already trained
     * @param step  the optimizer's step count it holds
     */
    record Checkpointed(int epoch, long batch, long step, java.nio.file.Path file) implements TrainingEvent {
    }

    /**
     * A row of the run's {@link History}: after the {@link BatchEnd} of every logged step (each
     * {@code logEvery}-th step, and an epoch's last), and after each {@link EpochEnd}.
     */
    record Logged(History.Row row) implements TrainingEvent {
    }

    /** The loop stopped before its last epoch: cancelled, or a callback asked. */
    record Stopped(int epoch, long step, String reason) implements TrainingEvent {
    }

    /**
     * The loop ends with {@code cause}, thrown once every callback has been told; also when it
     * fails before its {@link Started} (a refused resume).
     */
    record Failed(Throwable cause) implements TrainingEvent {
    }
}
