package dev.anneal.spark;

import dev.anneal.train.TrainingLoop;

import java.io.Serializable;

/**
 * Builds one replica's training loop on the executor that runs it: its model, its shard of the
 * data ({@code IdxDataset.Builder.shard(batchSize, seed, worker.rank(), worker.workers())}), its
 * optimizer, and callbacks every replica runs alike (an early stopping sees the same figures on
 * every replica, so all stop together). It travels to the executors, so it must be serializable
 * and read its data from where every executor can. The runner adds the data-parallel exchange,
 * the checkpoints and the link to the driver.
 */
@FunctionalInterface
public interface ReplicaFactory extends Serializable {
    TrainingLoop.Builder replica(Worker worker) throws Exception;
}
