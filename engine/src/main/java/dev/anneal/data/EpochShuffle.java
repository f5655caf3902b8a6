package dev.anneal.data;

import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Sampler;

import java.util.Arrays;
import java.util.Iterator;
import java.util.SplittableRandom;

/**
 * A shuffle whose order is a function of a seed and the epoch alone, as PyTorch's
 * {@code DistributedSampler} with {@code set_epoch}: any run reads epoch {@code e} in the same
 * order, so a resumed run sees what the uninterrupted one saw. DJL's {@code RandomSampler} draws
 * from one global generator instead, whose position no checkpoint can hold.
 *
 * <p>Each pass advances to the next epoch; {@link #startEpoch} sets it explicitly.
 */
public final class EpochShuffle implements Sampler.SubSampler, EpochAware {
    private final long seed;
    private int epoch;

    public EpochShuffle(long seed) {
        this.seed = seed;
    }

    @Override
    public synchronized void startEpoch(int epoch) {
        this.epoch = epoch;
    }

    /** The indices of one epoch: a Fisher-Yates shuffle driven by a generator seeded from (seed, epoch). */
    @Override
    public Iterator<Long> sample(RandomAccessDataset dataset) {
        int e;
        synchronized (this) {
            e = epoch++;
        }
        return Arrays.stream(order(Math.toIntExact(dataset.size()), e)).iterator();
    }

    /** The order of {@code epoch} over {@code n} records, whatever epoch this shuffle is at. */
    public long[] order(int n, int epoch) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        long[] order = new long[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }
}
