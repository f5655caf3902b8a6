package dev.anneal.parallel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Replicas that are threads of one JVM: for tests, and for checking a data-parallel run against
 * one replica on a larger batch. Each operation posts the rank's array, waits for all, and
 * computes the result from the posted arrays in rank order, as {@link TcpCollective} does.
 */
public final class InProcessCollective implements Collective {
    /** What the ranks of one group share. */
    private static final class Group {
        final int size;
        final Duration timeout;
        final CyclicBarrier barrier;
        final Object[] posted;
        /** Each rank's operation now: a sum, a broadcast or a gather. */
        final String[] kinds;
        /** Operations each rank has started, to name the ranks that did not arrive. */
        final AtomicLongArray started;
        volatile String broken;

        Group(int size, Duration timeout) {
            this.size = size;
            this.timeout = timeout;
            this.barrier = new CyclicBarrier(size);
            this.posted = new Object[size];
            this.kinds = new String[size];
            this.started = new AtomicLongArray(size);
        }
    }

    private final Group group;
    private final int rank;
    private long operations;

    private InProcessCollective(Group group, int rank) {
        this.group = group;
        this.rank = rank;
    }

    /** {@code size} ranks, one for each thread; an operation waits at most {@code timeout} for the others. */
    public static List<Collective> group(int size, Duration timeout) {
        if (size < 1) {
            throw new IllegalArgumentException("size must be at least 1, got " + size);
        }
        Group group = new Group(size, timeout);
        List<Collective> ranks = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            ranks.add(new InProcessCollective(group, r));
        }
        return List.copyOf(ranks);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return group.size;
    }

    @Override
    public void sum(float[] values) {
        Object[] all = exchange("sum", values, values.length);
        float[] total = Arrays.copyOf((float[]) all[0], values.length);
        for (int r = 1; r < all.length; r++) {
            Ranks.add(total, 0, (float[]) all[r], 0, values.length);
        }
        await(); // every rank has read the others' arrays before any is overwritten
        System.arraycopy(total, 0, values, 0, values.length);
    }

    @Override
    public void broadcast(float[] values, int root) {
        Ranks.checkRoot(root, group.size);
        float[] from = (float[]) exchange("broadcast from " + root, values, values.length)[root];
        float[] copy = from.clone();
        await();
        System.arraycopy(copy, 0, values, 0, values.length);
    }

    @Override
    public long[] gather(long value) {
        Object[] all = exchange("gather", new long[] {value}, 1);
        long[] values = new long[all.length];
        for (int r = 0; r < all.length; r++) {
            values[r] = ((long[]) all[r])[0];
        }
        await();
        return values;
    }

    /** Posts this rank's array, waits for every rank's, and returns them all; refuses unequal lengths. */
    private Object[] exchange(String kind, Object mine, int length) {
        operations++;
        group.started.set(rank, operations);
        group.posted[rank] = mine;
        group.kinds[rank] = kind;
        await();
        Object[] all = group.posted.clone();
        for (int r = 0; r < all.length; r++) {
            int theirs = java.lang.reflect.Array.getLength(all[r]);
            if (!group.kinds[r].equals(kind) || theirs != length) {
                throw new CollectiveException(r, "rank " + r + " called operation " + operations + " as a "
                        + group.kinds[r] + " of " + theirs + " values where rank " + rank + " called a " + kind + " of "
                        + length + ": the replicas are not running the same program", null);
            }
        }
        return all;
    }

    private void await() {
        if (group.broken != null) {
            throw new CollectiveException(-1, group.broken, null);
        }
        try {
            group.barrier.await(group.timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            List<Integer> late = new ArrayList<>();
            for (int r = 0; r < group.size; r++) {
                if (group.started.get(r) < operations) {
                    late.add(r);
                }
            }
            int failed = late.isEmpty() ? -1 : late.get(0);
            group.broken = "ranks " + late + " did not reach operation " + operations + " within " + group.timeout;
            throw new CollectiveException(failed, "rank " + rank + ": " + group.broken, e);
        } catch (BrokenBarrierException e) {
            throw new CollectiveException(-1, "rank " + rank + ": the group broke during operation " + operations
                    + (group.broken != null ? " (" + group.broken + ")" : " (another rank failed or left)"), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CollectiveException(rank, "rank " + rank + " was interrupted during operation " + operations, e);
        }
    }

    /** Breaks the group: the other ranks' waits end at once with an error. */
    @Override
    public void close() {
        if (group.broken == null) {
            group.broken = "rank " + rank + " left the group";
        }
        group.barrier.reset();
    }
}
