package dev.anneal.spark

import dev.anneal.dsl.Pipeline
import dev.anneal.state.CheckpointPolicy
import dev.anneal.train.Callback
import dev.anneal.train.TrainingEvent
import dev.anneal.train.TrainingLoop
import dev.anneal.train.TrainingResult
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.channels.trySendBlocking
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.runInterruptible
import java.io.Serializable
import java.time.Duration

/**
 * One worker's pipeline, built on its executor: its model, its shard of the data
 * (`FashionMnist.loadShard(dir, TRAIN, worker.manager(), 32, seed, worker.rank(), worker.workers())`),
 * its optimizer. It travels to the executors, so it may capture only serializable values (paths
 * as strings, numbers), and reads its data from where every executor can.
 */
public fun interface PipelineFactory : Serializable {
    public fun pipeline(worker: Worker): Pipeline
}

/**
 * Data-parallel training of the pipeline [replica] builds, on [workers] Spark workers of
 * [master] (`local[2]`, `local-cluster[2,1,1024]`, a cluster's URL):
 * ```
 * spark(master = "local-cluster[2,1,1024]", workers = 2) { worker ->
 *     pipeline {
 *         model = LeNet5.create()
 *         inputShape = LeNet5.inputShape(32)
 *         data = FashionMnist.loadShard(Path.of(dir), TRAIN, worker.manager(), 32, 42, worker.rank(), worker.workers())
 *         loss = Losses.softmaxCrossEntropy()
 *         optimizer { momentum(lr = 0.01, momentum = 0.9) }
 *     }
 * }.fit()
 * ```
 * Rank 0 writes [checkpoints] (a folder every executor can read) and a rerun after a failure
 * resumes from the newest; [SparkRun.events] are rank 0's, as they happen.
 */
public fun spark(
    master: String,
    workers: Int,
    checkpoints: CheckpointPolicy? = null,
    timeout: Duration = SparkTraining.DEFAULT_TIMEOUT,
    replica: PipelineFactory,
): SparkRun = SparkRun {
    SparkTraining.builder().master(master).workers(workers).timeout(timeout).replica(PipelineReplica(replica))
        .also { if (checkpoints != null) it.checkpoints(checkpoints) }
}

/** A data-parallel run, not started: [fit], [run] or [events] start it. */
public class SparkRun internal constructor(private val configure: () -> SparkTraining.Builder) {
    /** Trains, blocking the calling thread; rank 0's result. */
    public fun run(): TrainingResult = configure().build().run()

    /** Trains off the caller's thread; cancelling the coroutine cancels the Spark job. */
    public suspend fun fit(): TrainingResult = train(configure().build())

    /** Rank 0's events as a cold flow: collecting runs the training, and stopping the collection cancels it. */
    public fun events(): Flow<TrainingEvent> = callbackFlow {
        val training = configure().callback(Callback { event, _ -> trySendBlocking(event) }).build()
        val job = launch { channel.close(runCatching { train(training) }.exceptionOrNull()) }
        awaitClose { job.cancel() }
    }

    /** Runs [training] on the IO dispatcher; cancelling the caller cancels the Spark job too (an interrupt alone would leave it running). */
    private suspend fun train(training: SparkTraining): TrainingResult {
        val handle = currentCoroutineContext()[Job]?.invokeOnCompletion { cause -> if (cause != null) training.cancel() }
        try {
            return runInterruptible(Dispatchers.IO) { training.run() }
        } finally {
            handle?.dispose()
        }
    }
}

/** The engine's factory over a pipeline factory: the pipeline's loop, the pipeline closed with the worker. */
private class PipelineReplica(private val factory: PipelineFactory) : ReplicaFactory {
    override fun replica(worker: Worker): TrainingLoop.Builder = worker.closeAtEnd(factory.pipeline(worker)).loop()

    private companion object {
        private const val serialVersionUID = 1L
    }
}
