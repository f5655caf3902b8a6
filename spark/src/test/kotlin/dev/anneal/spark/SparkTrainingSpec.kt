package dev.anneal.spark

import ai.djl.Model
import ai.djl.engine.Engine
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import dev.anneal.data.FashionMnist
import dev.anneal.model.LeNet5
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.state.Checkpoint
import dev.anneal.state.CheckpointFile
import dev.anneal.state.CheckpointPolicy
import dev.anneal.train.TrainingEvent
import dev.anneal.train.TrainingLoop
import dev.anneal.train.TrainingResult
import dev.anneal.train.loss.Losses
import dev.anneal.train.metric.TopK
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.doubles.shouldBeLessThan
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.createTempDirectory
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.name
import kotlin.math.abs
import kotlin.time.Duration.Companion.minutes

/**
 * LeNet-5 with the main job's recipe on a replica's shard, which also writes its final state to
 * `<out>/rank-<r>.anneal` (the same bytes for the same state) for the test to compare.
 */
class RecordingReplica(private val data: String, private val out: String, private val epochs: Int = 1) : ReplicaFactory {
    override fun replica(worker: Worker): TrainingLoop.Builder {
        val model = worker.closeAtEnd(Model.newInstance("lenet5"))
        model.block = LeNet5.create()
        synchronized(Engine::class.java) { // DJL's generator is the JVM's; local[2]'s replicas share it
            Engine.getInstance().setRandomSeed(42)
            model.block.initialize(model.ndManager, DataType.FLOAT32, LeNet5.inputShape(32))
        }
        val params = ParameterSet.of(model.block)
        val optimizer = worker.closeAtEnd(Optimizers.momentum().lr(0.01).momentum(0.9).build().compile(params))
        val dir = Path.of(data)
        return TrainingLoop.builder().block(model.block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
            .train(FashionMnist.loadShard(dir, FashionMnist.Split.TRAIN, worker.manager(), 32, 42, worker.rank(), worker.workers()))
            .validation(FashionMnist.load(dir, FashionMnist.Split.TEST, worker.manager(), 32))
            .metric(TopK.accuracy()).epochs(epochs).manager(model.ndManager)
            .callback { event, _ ->
                if (event is TrainingEvent.EpochEnd && event.epoch == epochs - 1) {
                    CheckpointFile.write(Path.of(out, "rank-${worker.rank()}.anneal"),
                        Checkpoint.capture(epochs, 0, params, mapOf(TrainingLoop.DEFAULT_OPTIMIZER to optimizer)))
                }
            }
    }
}

class SparkTrainingSpec : FunSpec({
    val data = Path.of("../samples/data/fashion-mnist").toAbsolutePath().normalize().toString() // the shipped subset
    val sparkHome: Path = Path.of(System.getenv("SPARK_HOME") ?: error("the spark module's tests set SPARK_HOME"))
    Files.createDirectories(sparkHome.resolve("jars"))

    /** LeNet-5 on the shipped subset, one epoch, one replica on batches of [batch]: the reference. */
    fun single(batch: Int, epochs: Int = 1, resumeFrom: Path? = null): TrainingResult = NDManager.newBaseManager().use { m ->
        Model.newInstance("lenet5").use { model ->
            model.block = LeNet5.create()
            Engine.getInstance().setRandomSeed(42)
            model.block.initialize(model.ndManager, DataType.FLOAT32, LeNet5.inputShape(batch))
            val dir = Path.of(data)
            Optimizers.momentum().lr(0.01).momentum(0.9).build().compile(ParameterSet.of(model.block)).use { o ->
                val loop = TrainingLoop.builder().block(model.block).loss(Losses.softmaxCrossEntropy()).optimizer(o)
                    .train(FashionMnist.loadShuffled(dir, FashionMnist.Split.TRAIN, m, batch, 42))
                    .validation(FashionMnist.load(dir, FashionMnist.Split.TEST, m, batch))
                    .metric(TopK.accuracy()).epochs(epochs).manager(model.ndManager)
                resumeFrom?.let { loop.resumeFrom(it) }
                loop.build().run()
            }
        }
    }

    context("two replicas train LeNet-5 for an epoch: identical to the bit, as accurate as one replica on the global batch, resumable on one machine") {
        for (master in listOf("local[2]", "local-cluster[2,1,1024]")) {
            test(master).config(timeout = 5.minutes) {
                val out = createTempDirectory("anneal-spark")
                val checkpoints = Files.createDirectories(out.resolve("checkpoints"))
                val events = mutableListOf<TrainingEvent>()
                val result = SparkTraining.builder().master(master).workers(2)
                    .replica(RecordingReplica(data, out.toString()))
                    .checkpoints(CheckpointPolicy.everyEpochs(checkpoints, 1))
                    .callback { e, _ -> synchronized(events) { events += e } }
                    .build().run()
                val reference = single(64)
                println("$master: 2 x 32 accuracy ${result.validationAccuracy}, 1 x 64 accuracy ${reference.validationAccuracy}, steps ${result.steps}")
                result.steps shouldBe reference.steps
                abs(result.validationAccuracy - reference.validationAccuracy) shouldBeLessThan 0.01
                Files.readAllBytes(out.resolve("rank-0.anneal")) shouldBe Files.readAllBytes(out.resolve("rank-1.anneal"))
                events.filterIsInstance<TrainingEvent.BatchEnd>().size.toLong() shouldBe result.steps
                events.filterIsInstance<TrainingEvent.EpochEnd>().size shouldBe 1
                val written = checkpoints.listDirectoryEntries().map { it.name }
                written.size shouldBeGreaterThan 0
                val resumed = single(64, epochs = 2, resumeFrom = checkpoints.resolve(written.max()))
                resumed.epochs shouldBe 2
                resumed.steps shouldBe 2 * reference.steps
            }
        }
    }

    test("an executor killed mid-epoch: Spark reruns the stage, which resumes from the newest checkpoint and ends as an unbroken run").config(timeout = 8.minutes) {
        var killed = 0
        fun run(killAtStep: Long?): Pair<Path, List<TrainingEvent>> {
            val out = createTempDirectory("anneal-spark-kill")
            val events = mutableListOf<TrainingEvent>()
            SparkTraining.builder().master("local-cluster[2,1,1024]").workers(2)
                .replica(RecordingReplica(data, out.toString(), epochs = 2))
                .checkpoints(CheckpointPolicy.everySteps(Files.createDirectories(out.resolve("checkpoints")), 50))
                .timeout(java.time.Duration.ofSeconds(30))
                .callback { e, _ ->
                    synchronized(events) { events += e }
                    if (killAtStep != null && e is TrainingEvent.BatchEnd && e.step == killAtStep && killed == 0) {
                        // local-cluster's executors are this JVM's children.
                        val executors = ProcessHandle.current().children().toList()
                        killed = executors.size
                        executors.last().destroyForcibly() // as the kernel's OOM killer would
                    }
                }
                .build().run()
            return out to events
        }
        val (broken, events) = run(killAtStep = 220) // the second epoch's 71st step: 3 checkpoints in, one since the epoch began
        val (unbroken, _) = run(killAtStep = null)
        val started = events.filterIsInstance<TrainingEvent.Started>().size
        println("killed an executor at step 220: ${events.filterIsInstance<TrainingEvent.BatchEnd>().size} batches reported, $started starts")
        killed shouldBe 2 // one of the two executors
        started shouldBe 2 // the rerun reported from its resumed batch on
        events.filterIsInstance<TrainingEvent.BatchEnd>().last().step shouldBe 298
        Files.readAllBytes(broken.resolve("rank-0.anneal")) shouldBe Files.readAllBytes(broken.resolve("rank-1.anneal"))
        Files.readAllBytes(broken.resolve("rank-0.anneal")) shouldBe Files.readAllBytes(unbroken.resolve("rank-0.anneal"))
    }
})
