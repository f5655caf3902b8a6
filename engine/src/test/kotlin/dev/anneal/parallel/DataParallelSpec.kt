package dev.anneal.parallel

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.Activation
import ai.djl.nn.Blocks
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.nn.norm.BatchNorm
import ai.djl.training.ParameterStore
import dev.anneal.config.InvalidConfigException
import dev.anneal.data.IdxDataset
import dev.anneal.optim.Optimizer
import dev.anneal.optim.OptimizerSpec
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.grad.LossScale
import dev.anneal.internal.GradientTape
import dev.anneal.support.awayFromZero
import ai.djl.engine.Engine
import dev.anneal.state.Batching
import dev.anneal.state.CheckpointFile
import dev.anneal.state.CheckpointPolicy
import dev.anneal.support.GradientGenerator
import dev.anneal.support.writeIdx
import dev.anneal.train.SupervisedStep
import dev.anneal.train.TrainingEvent
import dev.anneal.train.TrainingLoop
import dev.anneal.train.TrainingResult
import dev.anneal.train.loss.Losses
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.doubles.shouldBeLessThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.nio.file.Path
import java.time.Duration
import java.util.Random
import java.util.concurrent.ConcurrentHashMap
import kotlin.io.path.createTempDirectory
import kotlin.math.abs

/**
 * Done-when 1 of data-parallel training: N replicas with batches of B, in threads over an
 * in-process collective, train as one replica on batches of N×B.
 */
class DataParallelSpec : FunSpec({
    val b = 8 // rows of each replica's batch
    val seed = 42L
    val dir: Path = createTempDirectory("anneal-dp")

    val written = ConcurrentHashMap<Int, Pair<Path, Path>>()

    /** [n] 4x4 images and 3 classes, the class readable from the pixels, as IDX files, written once for all threads. */
    fun files(n: Int): Pair<Path, Path> = written.computeIfAbsent(n) {
        val random = Random(7)
        val images = ByteArray(n * 16) { random.nextInt(256).toByte() }
        val labels = ByteArray(n) { i -> ((0 until 4).sumOf { images[i * 16 + it].toInt() and 0xff } % 3).toByte() }
        val x = dir.resolve("x$n")
        val y = dir.resolve("y$n")
        writeIdx(x, intArrayOf(n, 4, 4), images)
        writeIdx(y, intArrayOf(n), labels)
        x to y
    }

    fun data(m: NDManager, n: Int, configure: IdxDataset.Builder.() -> IdxDataset.Builder): IdxDataset {
        val (x, y) = files(n)
        return IdxDataset.builder().images(x).labels(y).manager(m).configure().build()
    }

    /** 16 -> 16 -> relu -> 3; [init] picks the generator's stream, so replicas can start apart. */
    fun mlp(m: NDManager, init: Int = 0): SequentialBlock {
        val block = SequentialBlock().add(Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(16).build())
            .add(Activation.reluBlock()).add(Linear.builder().setUnits(3).build())
        block.initialize(m, DataType.FLOAT32, Shape(b.toLong(), 1, 4, 4))
        block.parameters.values().forEachIndexed { i, p ->
            m.create(GradientGenerator.values(5L + init, 0, i, p.array.shape.size().toInt(), 0.5), p.array.shape).copyTo(p.array)
        }
        return block
    }

    fun gradients(o: Optimizer<*>) = o.parameters().trainable().map { p -> p.array().gradient.use { it.toFloatArray() } }
    fun values(block: SequentialBlock) = block.parameters.values().map { it.array.toFloatArray() }

    /** The largest difference over all tensors, relative to the tensor's largest magnitude. */
    fun worst(actual: List<FloatArray>, expected: List<FloatArray>): Double = actual.indices.maxOf { t ->
        actual[t].indices.maxOf { abs(actual[t][it] - expected[t][it]).toDouble() } / expected[t].maxOf { abs(it) }.toDouble()
    }

    /** Runs [replica] for each rank of [group] (in-process by default) on its own thread; a failure of any fails the call. */
    fun <T> replicas(n: Int, group: List<Collective> = InProcessCollective.group(n, Duration.ofSeconds(60)),
                     replica: (Collective) -> T): List<T> = onEach(group) { c -> c.use { replica(it) } }

    /** One replica: its shard of [rows] examples, a model started from stream [rank], [spec], [epochs]. */
    fun replica(c: Collective, rows: Int, spec: OptimizerSpec<*>, epochs: Int,
                configure: TrainingLoop.Builder.(SequentialBlock, Optimizer<*>) -> TrainingLoop.Builder = { _, _ -> this })
            : Triple<TrainingResult, List<FloatArray>, Long> = NDManager.newBaseManager().use { m ->
        val block = mlp(m, init = c.rank())
        spec.compile(ParameterSet.of(block)).use { optimizer ->
            val result = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
                .train(data(m, rows) { shard(b, seed, c.rank(), c.size()) }).epochs(epochs).manager(m).dataParallel(c)
                .configure(block, optimizer).build().run()
            Triple(result, values(block), Replicas.digest(ParameterSet.of(block), mapOf("default" to optimizer)))
        }
    }

    /** One replica on batches of [global] rows, the same data and order. */
    fun single(rows: Int, global: Int, spec: OptimizerSpec<*>, epochs: Int): Pair<TrainingResult, List<FloatArray>> =
        NDManager.newBaseManager().use { m ->
            val block = mlp(m)
            spec.compile(ParameterSet.of(block)).use { optimizer ->
                val result = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
                    .train(data(m, rows) { shuffle(global, seed) }).epochs(epochs).manager(m).build().run()
                result to values(block)
            }
        }

    context("each step's exchanged gradient is the gradient of the N×B batch, within 2e-6 relative, a short last batch included") {
        withData(2, 4) { n ->
            val rows = 200 // N = 2: 12 global batches of 16 and one of 8; N = 4: 6 of 32 and one of 8
            val worstByStep = replicas(n) { c ->
                NDManager.newBaseManager().use { m ->
                    val reference = mlp(m)
                    val store = ParameterStore(m, false)
                    val globalBatches = data(m, rows) { shuffle(n * b, seed) }.also { it.startEpoch(0) }.getData(m).iterator()
                    val refOptimizer = Optimizers.sgd().lr(0.1).build().compile(ParameterSet.of(reference))
                    val worst = mutableListOf<Double>()
                    replica(c, rows, Optimizers.momentum().lr(0.05).momentum(0.9).build(), 1) { block, _ ->
                        gradientTransform { o ->
                            if (c.rank() == 0) { // the reference at this replica's parameters, on the whole global batch
                                block.parameters.values().zip(reference.parameters.values()).forEach { (p, r) ->
                                    m.create(p.array.toFloatArray(), p.array.shape).copyTo(r.array)
                                }
                                refOptimizer.zeroGrad()
                                globalBatches.next().use { SupervisedStep.lossAndGradients(reference, store, Losses.softmaxCrossEntropy(), it) }
                                worst += worst(gradients(o), gradients(refOptimizer))
                            }
                            true
                        }
                    }
                    worst
                }
            }[0]
            println("data parallel, N = $n: ${worstByStep.size} steps, worst relative gradient difference ${worstByStep.max()}")
            worstByStep.size shouldBe (rows + n * b - 1) / (n * b)
            worstByStep.max() shouldBeLessThan 2e-6
        }
    }

    context("replicas stay bit-identical over 200 steps, started from different parameters") {
        withData(2, 4) { n ->
            val rows = 16 * n * b // 16 steps an epoch
            val runs = replicas(n) { c -> replica(c, rows, Optimizers.adam().lr(0.01).build(), 13) { _, _ -> replicaCheckEvery(10) } }
            runs.forEach { it.first.steps shouldBe 208 }
            runs.map { it.third }.distinct().size shouldBe 1
            runs.forEach { run -> run.second.indices.forEach { t -> run.second[t] shouldBe runs[0].second[t] } }
        }
    }

    context("a 30-step run ends at the parameters of one replica on N×B, within 1e-5 relative, reporting its losses") {
        withData(2, 4) { n ->
            val rows = 480 // N = 2: 30 steps an epoch; N = 4: 15
            val epochs = 30 * n * b / rows
            val spec = Optimizers.momentum().lr(0.05).momentum(0.9).build()
            val parallel = replicas(n) { c -> replica(c, rows, spec, epochs) }[0]
            val overTcp = replicas(n, tcpGroup(n)) { c -> replica(c, rows, spec, epochs) }[0]
            overTcp.third shouldBe parallel.third // the transport changes no bit
            val (result, params) = single(rows, n * b, spec, epochs)
            parallel.first.steps shouldBe 30
            result.steps shouldBe 30
            val difference = worst(parallel.second, params)
            println("data parallel, N = $n: 30 steps, worst relative parameter difference $difference")
            difference shouldBeLessThan 1e-5
            abs(parallel.first.meanLoss - result.meanLoss) / result.meanLoss shouldBeLessThan 1e-5
        }
    }

    test("replicas that drift apart stop with an error naming the step and each rank's digest") {
        val error = shouldThrow<IllegalStateException> {
            replicas(2) { c ->
                val lr = if (c.rank() == 0) 0.05 else 0.06 // a replica set otherwise than the others
                replica(c, 160, Optimizers.momentum().lr(lr).momentum(0.9).build(), 1) { _, _ -> replicaCheckEvery(5) }
            }
        }
        error.message shouldContain "the replicas drifted apart by step 5"
        error.message shouldContain "rank 0 "
        error.message shouldContain "rank 1 "
    }

    test("a replica whose data is not its shard is refused before training") {
        replicas(2) { c ->
            NDManager.newBaseManager().use { m ->
                val block = mlp(m)
                val loop = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy())
                    .optimizer(Optimizers.sgd().lr(0.1).build().compile(ParameterSet.of(block))).manager(m).dataParallel(c)
                shouldThrow<InvalidConfigException> { loop.train(data(m, 64) { shuffle(b, seed) }).build() }
                    .message shouldContain "trainingLoop.train is not sharded"
                shouldThrow<InvalidConfigException> { loop.train(data(m, 64) { shard(b, seed, 1 - c.rank(), 2) }).build() }
                    .message shouldContain "is the shard of rank ${1 - c.rank()} of 2, but this replica is rank ${c.rank()} of 2"
            }
        }
    }

    test("every rank reports the loss of the global batch") {
        val losses = replicas(2) { c ->
            val seen = mutableListOf<Double>()
            replica(c, 160, Optimizers.sgd().lr(0.1).build(), 1) { _, _ ->
                callback { e, _ -> if (e is TrainingEvent.BatchEnd) seen += e.loss }
            }
            seen
        }
        losses[0] shouldBe losses[1]
        losses[0].size shouldBe 10
    }

    test("rank 0's checkpoint records the batching: one worker on the global batch resumes it, another global batch is refused") {
        val folder = createTempDirectory("anneal-dp-checkpoints")
        replicas(2) { c ->
            replica(c, 160, Optimizers.sgd().lr(0.1).build(), 1) { _, _ -> checkpoints(CheckpointPolicy.everySteps(folder, 5)) }
        }
        val written = CheckpointPolicy.latest(folder).file().get()
        NDManager.newBaseManager().use { m ->
            CheckpointFile.read(written, m).batching() shouldBe Batching(2, b)
        }
        fun resume(batch: Int, accept: Boolean = false) = NDManager.newBaseManager().use { m ->
            val block = mlp(m)
            TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy())
                .optimizer(Optimizers.sgd().lr(0.1).build().compile(ParameterSet.of(block)))
                .train(data(m, 160) { shuffle(batch, seed) }).epochs(2).manager(m).resumeFrom(written)
                .acceptChangedSettings(accept).build().run()
        }
        resume(2 * b).steps shouldBe 20
        shouldThrow<InvalidConfigException> { resume(b) }.message shouldContain "checkpoint.header.batching was written by" +
            " 2 workers with batches of 8 (16 rows a step), but this run has 1 worker with batches of 8 (8 rows a step)"
        resume(b, accept = true).steps shouldBe 40 // 10 restored, then batches 10 to 19 of epoch 0 and all 20 of epoch 1
    }

    test("with accumulation over 2 batches only each group's last batch exchanges gradients, and the run is one replica's on N×B accumulating alike, a short last batch included") {
        val n = 2
        val rows = 472 // 30 global batches an epoch, the last of 8 rows: 15 steps
        val spec = Optimizers.momentum().lr(0.05).momentum(0.9).build()
        val (parallel, exchanges) = replicas(n) { c ->
            val counting = CountingSums(c)
            replica(counting, rows, spec, 2) { _, _ -> accumulate(2) }.second to counting.gradientSums
        }[0]
        val reference = NDManager.newBaseManager().use { m ->
            val block = mlp(m)
            spec.compile(ParameterSet.of(block)).use { o ->
                TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(o)
                    .train(data(m, rows) { shuffle(n * b, seed) }).epochs(2).manager(m).accumulate(2).build().run()
                values(block)
            }
        }
        exchanges shouldBe 30
        worst(parallel, reference) shouldBeLessThan 1e-5
    }

    test("an overflow on one rank reaches all: every rank skips the same step and lowers its loss scale alike") {
        val outcomes = replicas(2) { c ->
            NDManager.newBaseManager().use { m ->
                val block = mlp(m)
                Optimizers.sgd().lr(0.1).lossScale(LossScale.dynamic()).build().compile(ParameterSet.of(block)).use { o ->
                    val before = values(block)
                    o.zeroGrad()
                    val weights = o.parameters().trainable().map { it.array() }
                    val gradients = weights.mapIndexed { i, w -> awayFromZero(3, 0, i, w.shape.size().toInt()) }
                    if (c.rank() == 1) {
                        gradients[0][0] = Float.POSITIVE_INFINITY // as a float16 gradient overflows on one replica's rows
                    }
                    GradientTape.open(Engine.getInstance().engineName).use { tape ->
                        tape.backward(weights.zip(gradients).map { (w, g) -> w.mul(m.create(g, w.shape)).sum() }.reduce { x, y -> x.add(y) })
                    }
                    val exchange = GradientExchange(c, b)
                    exchange.loss(1.0, b.toLong())
                    exchange.gradients(o)
                    o.step()
                    val after = values(block)
                    Triple(o.skippedSteps(), o.lossScale(), after.indices.all { after[it].contentEquals(before[it]) })
                }
            }
        }
        outcomes.forEach { (skipped, scale, unchanged) ->
            skipped shouldBe 1L
            scale shouldBe (LossScale.DEFAULT_INIT_SCALE / 2).toFloat()
            unchanged shouldBe true
        }
    }

    test("a stop on one replica stops all at the same step") {
        val results = replicas(2) { c ->
            replica(c, 160, Optimizers.sgd().lr(0.1).build(), 3) { _, _ ->
                callback { e, control -> if (c.rank() == 1 && e is TrainingEvent.BatchEnd && e.step == 5L) control.stop("rank 1 has seen enough") }
            }.first
        }
        results.map { it.steps } shouldBe listOf(5L, 5L)
        results.map { it.stopReason } shouldBe listOf("stopped by another replica", "rank 1 has seen enough")
    }

    test("with batch norm, each replica's statistics are its own rows', yet all measure rank 0's model and none drifts") {
        val figures = replicas(2) { c ->
            NDManager.newBaseManager().use { m ->
                val block = SequentialBlock().add(Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(16).build())
                    .add(BatchNorm.builder().build()).add(Activation.reluBlock()).add(Linear.builder().setUnits(3).build())
                block.initialize(m, DataType.FLOAT32, Shape(b.toLong(), 1, 4, 4))
                Optimizers.adam().lr(0.01).build().compile(ParameterSet.of(block)).use { o ->
                    TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(o)
                        .train(data(m, 160) { shard(b, seed, c.rank(), c.size()) })
                        .validation(data(m, 64) { setSampling(b, false) }).epochs(2).manager(m)
                        .dataParallel(c).replicaCheckEvery(3).build().run().metrics
                }
            }
        }
        figures[0] shouldBe figures[1]
    }
})
