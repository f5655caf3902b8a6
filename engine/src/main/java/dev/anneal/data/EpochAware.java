package dev.anneal.data;

/**
 * A dataset (or sampler) whose order depends on the epoch. The training loop tells it which
 * epoch comes next, so that a run resumed from a checkpoint reads each epoch in the order the
 * uninterrupted run did.
 */
public interface EpochAware {
    /** The next pass over the data is epoch {@code epoch} (0-based). */
    void startEpoch(int epoch);
}
