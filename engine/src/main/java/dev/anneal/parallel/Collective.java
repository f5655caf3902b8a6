package dev.anneal.parallel;

/**
 * The replicas of one data-parallel run, as one of them sees them: its rank among {@link #size()}
 * and the operations they perform together. Every rank calls the same operations in the same
 * order, with arrays of the same length; each call returns once every rank has made it, or throws
 * a {@link CollectiveException} naming the rank that failed or did not answer in time.
 *
 * <p>Sums add the ranks' values in rank order, {@code ((x0 + x1) + x2) + ...}, element by element,
 * in the array's own precision, whatever the transport: every rank gets the same bits, and the
 * in-process and TCP collectives give the same bits for the same inputs.
 */
public interface Collective extends AutoCloseable {
    /** This replica's place, 0 to {@code size() - 1}; rank 0 writes what only one should write. */
    int rank();

    /** How many replicas take part. */
    int size();

    /** Replaces {@code values}, on every rank, by their sum over the ranks in rank order. */
    void sum(float[] values);

    /** Replaces {@code values}, on every rank, by rank {@code root}'s. */
    void broadcast(float[] values, int root);

    /** Every rank's {@code value}, indexed by rank. */
    long[] gather(long value);

    /** Returns once every rank has called it. */
    default void barrier() {
        gather(0);
    }

    /** Leaves the group; the other ranks' next operation then fails naming this one. */
    @Override
    void close();
}
