package dev.anneal.train;

import dev.anneal.config.Checks;

/**
 * Gradient accumulation: the gradients of {@code batches} micro-batches add up in the parameters'
 * gradients (DJL's PyTorch engine adds each backward pass to them), then one optimizer step takes
 * the sum and clears them. Schedules and the step counter count optimizer steps, so they advance
 * once per group; the loop's events still come once per batch.
 *
 * <p>{@link Mode#MEAN} makes k micro-batches of size B with a mean loss train as one batch of
 * k·B: each micro-batch's loss is divided by k before its backward pass (no extra pass over the
 * gradients, and their magnitudes stay those of the large batch, as PyTorch Lightning and
 * Hugging Face do it). A group cut short at the end of an epoch or run holds r &lt; k batches,
 * each divided by k; its gradients are multiplied by k/r before the step, so it steps on the mean
 * of the r batches it has, not on r/k of it. {@link Mode#SUM} adds the micro-batches' gradients as
 * they are.
 *
 * <p>An epoch whose batches k does not divide ends with a partial group: {@link EndOfEpoch#STEP_ON_PARTIAL}
 * steps on it, so an epoch of b batches takes ceil(b/k) steps; {@link EndOfEpoch#CARRY} carries it
 * into the next epoch, so groups run across epoch boundaries and a run of E epochs takes
 * ceil(b·E/k) steps (the last, partial group of the run is stepped on, so no batch is lost).
 *
 * @param batches    micro-batches per optimizer step, k; 1 is no accumulation
 * @param mode       how the micro-batches' gradients combine
 * @param endOfEpoch what an epoch's last, partial group does
 */
public record Accumulation(int batches, Mode mode, EndOfEpoch endOfEpoch) {
    /** One batch per step: no accumulation. */
    public static final int DEFAULT_BATCHES = 1;
    public static final Mode DEFAULT_MODE = Mode.MEAN;
    public static final EndOfEpoch DEFAULT_END_OF_EPOCH = EndOfEpoch.STEP_ON_PARTIAL;
    /** Every batch steps. */
    public static final Accumulation NONE = new Accumulation(DEFAULT_BATCHES, DEFAULT_MODE, DEFAULT_END_OF_EPOCH);

    /** How the gradients of a group's micro-batches combine. */
    public enum Mode {
        /** Their mean: k micro-batches of a mean loss train as one batch k times as large. */
        MEAN,
        /** Their sum. */
        SUM
    }

    /** What the partial group at the end of an epoch does. */
    public enum EndOfEpoch {
        /** Steps on the batches it has: ceil(b/k) steps an epoch. */
        STEP_ON_PARTIAL,
        /** Carries them into the next epoch's first group: floor(b/k) or one more steps an epoch. */
        CARRY
    }

    public Accumulation {
        Checks c = new Checks("accumulate");
        new Unchecked(batches, mode, endOfEpoch).check(c);
        c.throwIfAny();
    }

    /** The values as a builder collects them, to be checked with the builder's other fields. */
    record Unchecked(int batches, Mode mode, EndOfEpoch endOfEpoch) {
        static final Unchecked DEFAULT = new Unchecked(DEFAULT_BATCHES, DEFAULT_MODE, DEFAULT_END_OF_EPOCH);

        /**
         * Reports what is wrong into {@code checks}: {@code batches} at its prefix (where
         * {@code accumulate = 0} was written), the others under their names.
         */
        void check(Checks checks) {
            checks.require(batches >= 1, "", "must be at least 1 batch per step, got " + batches);
            checks.require(mode != null, "mode", "is required (MEAN or SUM)");
            checks.require(endOfEpoch != null, "endOfEpoch", "is required (STEP_ON_PARTIAL or CARRY)");
        }

        /** The accumulation, once {@link #check} found nothing. */
        Accumulation checked() {
            return new Accumulation(batches, mode, endOfEpoch);
        }
    }

    /**
     * The optimizer steps an epoch of {@code batchesPerEpoch} batches counts for schedules in epochs:
     * ceil(b/k) when each epoch steps on its partial group, floor(b/k) when it is carried (so a
     * schedule's epoch is never longer than the data's; the budget check uses {@link #steps}).
     */
    public long stepsPerEpoch(long batchesPerEpoch) {
        return endOfEpoch == EndOfEpoch.STEP_ON_PARTIAL ? ceil(batchesPerEpoch, batches) : batchesPerEpoch / batches;
    }

    /** The optimizer steps of a whole run of {@code epochs} epochs of {@code batchesPerEpoch} batches. */
    public long steps(long batchesPerEpoch, int epochs) {
        return endOfEpoch == EndOfEpoch.STEP_ON_PARTIAL ? stepsPerEpoch(batchesPerEpoch) * epochs
                : ceil(batchesPerEpoch * epochs, batches);
    }

    /** Whether a group left open when an epoch's batches run out is stepped on there. */
    boolean stepsAtEndOf(int epoch, int epochs) {
        return endOfEpoch == EndOfEpoch.STEP_ON_PARTIAL || epoch == epochs - 1;
    }

    private static long ceil(long n, long k) {
        return (n + k - 1) / k;
    }
}
