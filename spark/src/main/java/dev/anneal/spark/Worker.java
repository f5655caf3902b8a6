package dev.anneal.spark;

import ai.djl.ndarray.NDManager;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a {@link ReplicaFactory} is given on its executor: the replica's rank among the workers,
 * a manager for its arrays, and a place for whatever it opens; all are closed when the replica
 * ends, last opened first.
 */
public final class Worker implements AutoCloseable {
    private final int rank;
    private final int workers;
    private final NDManager manager = NDManager.newBaseManager();
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();

    Worker(int rank, int workers) {
        this.rank = rank;
        this.workers = workers;
    }

    /** This replica, 0 to {@code workers() - 1}. */
    public int rank() {
        return rank;
    }

    /** How many replicas train together. */
    public int workers() {
        return workers;
    }

    /** A manager for the replica's arrays (model, data), closed when it ends. */
    public NDManager manager() {
        return manager;
    }

    /** Closes {@code resource} when the replica ends; returns it. */
    public <T extends AutoCloseable> T closeAtEnd(T resource) {
        opened.push(resource);
        return resource;
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        while (!opened.isEmpty()) {
            try {
                opened.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        manager.close();
        if (first != null) {
            throw first;
        }
    }
}
