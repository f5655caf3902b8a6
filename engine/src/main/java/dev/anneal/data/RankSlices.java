package dev.anneal.data;

import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Sampler;
import dev.anneal.config.Checks;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * One replica's share of data-parallel batches: each epoch's order comes from the seed and the
 * epoch ({@link EpochShuffle}), is cut into global batches of {@code workers × batchSize}, and
 * rank r takes the r-th of the {@code workers} nearly equal, contiguous slices of each. The
 * replicas together read exactly the batches one replica would read with batch size
 * {@code workers × batchSize} and the same seed, in the same order, so a run of N replicas is
 * the run of one on N times the batch, and resumes at any global batch as it does.
 *
 * <p>An epoch's last global batch holds what is left; it is split the same way. If fewer rows are
 * left than there are replicas, some replica would have none, so that global batch is left out.
 */
public final class RankSlices implements Sampler, EpochAware {
    private final EpochShuffle shuffle;
    private final int batchSize;
    private final int rank;
    private final int workers;
    private int epoch;

    /**
     * @param batchSize rows of each replica's full batch
     * @param rank      this replica, 0 to {@code workers - 1}
     */
    public RankSlices(long seed, int batchSize, int rank, int workers) {
        Checks c = new Checks("rankSlices");
        c.require(batchSize >= 1, "batchSize", "must be at least 1, got " + batchSize);
        c.require(workers >= 1, "workers", "must be at least 1, got " + workers);
        c.require(rank >= 0 && rank < workers, "rank", "must be from 0 to workers - 1 = " + (workers - 1) + ", got " + rank);
        c.throwIfAny();
        this.shuffle = new EpochShuffle(seed);
        this.batchSize = batchSize;
        this.rank = rank;
        this.workers = workers;
    }

    @Override
    public synchronized void startEpoch(int epoch) {
        this.epoch = epoch;
    }

    public int rank() {
        return rank;
    }

    public int workers() {
        return workers;
    }

    /** The rows of one replica's full batch. */
    @Override
    public int getBatchSize() {
        return batchSize;
    }

    /** Global batches, each one batch of every replica's, in an epoch over {@code size} rows. */
    public long batches(long size) {
        long global = (long) workers * batchSize;
        long full = size / global;
        return full + (size % global >= workers ? 1 : 0);
    }

    /** The rows of global batch {@code batch} (0-based) of an epoch over {@code size} rows: its full size, or what is left. */
    public long globalRows(long size, long batch) {
        long global = (long) workers * batchSize;
        return Math.min(global, size - batch * global);
    }

    /** This replica's slices of the epoch's global batches; each pass advances to the next epoch. */
    @Override
    public Iterator<List<Long>> sample(RandomAccessDataset dataset) {
        int e;
        synchronized (this) {
            e = epoch++;
        }
        long[] order = shuffle.order(Math.toIntExact(dataset.size()), e);
        long count = batches(order.length);
        int global = workers * batchSize;
        return new Iterator<>() {
            private long next;

            @Override
            public boolean hasNext() {
                return next < count;
            }

            @Override
            public List<Long> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int start = Math.toIntExact(next++ * global);
                int rows = Math.min(global, order.length - start);
                int from = start + (int) ((long) rows * rank / workers);
                int to = start + (int) ((long) rows * (rank + 1) / workers);
                List<Long> slice = new ArrayList<>(to - from);
                for (int i = from; i < to; i++) {
                    slice.add(order[i]);
                }
                return slice;
            }
        };
    }
}
