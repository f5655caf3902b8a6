package dev.anneal.train

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.Activation
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.ParameterStore
import ai.djl.training.dataset.ArrayDataset
import dev.anneal.config.InvalidConfigException
import dev.anneal.grad.LossScale
import dev.anneal.optim.Execution
import dev.anneal.optim.Optimizer
import dev.anneal.optim.OptimizerSpec
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Duration
import dev.anneal.schedule.Phase
import dev.anneal.schedule.Timeline
import dev.anneal.state.CheckpointPolicy
import dev.anneal.support.GradientGenerator
import dev.anneal.support.bits
import dev.anneal.train.Accumulation.EndOfEpoch.CARRY
import dev.anneal.train.Accumulation.EndOfEpoch.STEP_ON_PARTIAL
import dev.anneal.train.Accumulation.Mode.MEAN
import dev.anneal.train.Accumulation.Mode.SUM
import dev.anneal.train.loss.Losses
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.engine.names.WithDataTestName
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.doubles.shouldBeLessThan
import io.kotest.matchers.shouldBe
import kotlin.io.path.createTempDirectory
import kotlin.math.abs
import kotlin.math.max

class AccumulationSpec : FunSpec({
    val micro = 8 // samples in a micro-batch: B
    val batches = 10 // micro-batches an epoch, which k = 4 does not divide

    /** An MLP without batch norm (4 -> 16 -> relu -> 3), its parameters from the generator so runs start alike. */
    fun mlp(manager: NDManager): SequentialBlock {
        val block = SequentialBlock().add(Linear.builder().setUnits(16).build()).add(Activation.reluBlock())
            .add(Linear.builder().setUnits(3).build())
        block.initialize(manager, DataType.FLOAT32, Shape(micro.toLong(), 4))
        block.parameters.values().forEachIndexed { i, p ->
            manager.create(GradientGenerator.values(5, 0, i, p.array.shape.size().toInt(), 0.5), p.array.shape).copyTo(p.array)
        }
        return block
    }

    /** [count] micro-batches' worth of fixed samples, read in order [batchSize] at a time (the last batch may be short). */
    fun data(manager: NDManager, batchSize: Int, count: Int = batches): ArrayDataset {
        val n = micro * count
        val x = manager.create(GradientGenerator.values(9, 0, 0, n * 4, 1.0), Shape(n.toLong(), 4))
        val y = manager.create(FloatArray(n) { (it % 3).toFloat() })
        return ArrayDataset.Builder().setData(x).optLabels(y).setSampling(batchSize, false).build()
    }

    fun gradients(optimizer: Optimizer<*>) =
        optimizer.parameters().trainable().map { p -> p.array().gradient.use { it.toFloatArray() } }

    fun values(block: SequentialBlock) = block.parameters.values().map { it.array.toFloatArray() }

    /** The largest difference over all steps and tensors, relative to the tensor's largest magnitude. */
    fun worst(actual: List<List<FloatArray>>, expected: List<List<FloatArray>>): Double {
        actual.size shouldBe expected.size
        return actual.indices.maxOf { s ->
            actual[s].indices.maxOf { t ->
                val a = actual[s][t]
                val e = expected[s][t]
                a.indices.maxOf { abs(a[it] - e[it]).toDouble() } / e.maxOf { abs(it) }.toDouble()
            }
        }
    }

    /** Each step's gradients as the update sees them, and the parameters after it. */
    class Trace(val gradients: MutableList<List<FloatArray>> = mutableListOf(), val params: MutableList<List<FloatArray>> = mutableListOf())

    fun trace(m: NDManager, block: SequentialBlock, data: ArrayDataset, optimizer: Optimizer<*>, k: Int): Trace {
        val trace = Trace()
        var last = 0L
        TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).train(data).epochs(2).manager(m)
            .optimizer(optimizer).accumulate(k)
            .gradientTransform { o -> trace.gradients += gradients(o); true }
            .callback { e, _ ->
                if (e is TrainingEvent.BatchEnd && e.step != last) {
                    last = e.step
                    trace.params += values(block)
                }
            }
            .build().run()
        return trace
    }

    class Equivalence(val k: Int, val execution: Execution, val rule: String, val spec: OptimizerSpec<*>) : WithDataTestName {
        override fun dataTestName() = "k = $k, $rule, ${execution.name.lowercase()} path"
    }

    context("k micro-batches of B with a mean loss step as one batch of k*B, partial groups included, within 1e-5 relative") {
        val sgd = Optimizers.sgd().lr(0.2).momentum(0.9).build()
        val adam = Optimizers.adam().lr(0.01).build()
        withData(listOf(2, 3, 4).flatMap { k ->
            Execution.entries.flatMap { x -> listOf(Equivalence(k, x, "sgd momentum", sgd), Equivalence(k, x, "adam", adam)) }
        }) { case ->
            NDManager.newBaseManager().use { m ->
                fun run(batchSize: Int, k: Int): Trace {
                    val block = mlp(m)
                    val optimizer = case.spec.compile(ParameterSet.of(block), case.execution)
                    optimizer.executionOf("default") shouldBe case.execution
                    return trace(m, block, data(m, batchSize), optimizer, k)
                }
                val accumulated = run(micro, case.k)
                val large = run(micro * case.k, 1)
                accumulated.params.size shouldBe 2 * ((batches + case.k - 1) / case.k)
                val gradients = worst(accumulated.gradients, large.gradients)
                val params = worst(accumulated.params, large.params)
                println("accumulation ${case.dataTestName()}: worst relative difference, gradients $gradients, parameters $params")
                gradients shouldBeLessThan 1e-5
                params shouldBeLessThan 1e-5
            }
        }
    }

    /** [configure] adds to a loop that records the gradients at each transform; the one at [index] follows four batches. */
    class Skipping(val name: String, val index: Int, val steps: Long, val configure: TrainingLoop.Builder.() -> TrainingLoop.Builder) : WithDataTestName {
        override fun dataTestName() = name
    }

    context("gradients are not cleared between micro-batches: the first update sees the sum of four batches") {
        withData(
            // Compiles against the loop before accumulation, and failed there: its step cleared them every batch.
            Skipping("a gradient transform that skips three updates in four", index = 3, steps = 2) {
                var calls = 0
                gradientTransform { ++calls % 4 == 0 }
            },
            Skipping("accumulate(4, SUM, STEP_ON_PARTIAL)", index = 0, steps = 3) { accumulate(4, SUM, STEP_ON_PARTIAL) },
        ) { case ->
            NDManager.newBaseManager().use { m ->
                val separate = mlp(m)
                val optimizer = Optimizers.sgd().lr(0.1).build().compile(ParameterSet.of(separate))
                val store = ParameterStore(m, false)
                val sums = gradients(optimizer).map { FloatArray(it.size) }
                data(m, micro).getData(m).take(4).forEach { batch ->
                    batch.use {
                        optimizer.zeroGrad()
                        SupervisedStep.lossAndGradients(separate, store, Losses.softmaxCrossEntropy(), it)
                        gradients(optimizer).forEachIndexed { t, g -> g.indices.forEach { i -> sums[t][i] += g[i] } }
                    }
                }

                val block = mlp(m)
                val seen = mutableListOf<List<FloatArray>>()
                val loop = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).train(data(m, micro))
                    .manager(m).optimizer(Optimizers.sgd().lr(0.1).build().compile(ParameterSet.of(block)))
                    .gradientTransform { o -> seen += gradients(o); true }
                val result = case.configure(loop).build().run()
                result.steps shouldBe case.steps
                worst(listOf(seen[case.index]), listOf(sums)) shouldBeLessThan 1e-6
            }
        }
    }

    class Counting(val end: Accumulation.EndOfEpoch, val epochEnds: List<Long>, val stepAfter: (Int, Int) -> Long) : WithDataTestName {
        override fun dataTestName() = "$end: steps ${epochEnds.joinToString()} at the epochs' ends"
    }

    context("with epochs of 10 batches and k = 4, the step counter and a scheduled lr move once per step, not per batch") {
        withData(
            Counting(STEP_ON_PARTIAL, listOf(3, 6, 9)) { epoch, batch -> 3L * epoch + batch / 4 + (if (batch == 10) 1 else 0) },
            Counting(CARRY, listOf(2, 5, 8)) { epoch, batch ->
                val seen = 10 * epoch + batch
                if (seen == 30) 8L else seen / 4L // the run's last, partial group steps
            },
        ) { case ->
            NDManager.newBaseManager().use { m ->
                val block = mlp(m)
                val lr = Timeline.of(Phase.linear(Duration.steps(100), 0.1, 0.0))
                val optimizer = Optimizers.sgd().lr(lr).build().compile(ParameterSet.of(block))
                val events = mutableListOf<TrainingEvent>()
                val result = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).train(data(m, micro))
                    .epochs(3).manager(m).optimizer(optimizer).accumulate(4, MEAN, case.end)
                    .callback { e, _ -> events += e }.build().run()
                val ends = events.filterIsInstance<TrainingEvent.BatchEnd>()
                ends.size shouldBe 30 // events still come per batch
                ends.map { it.step } shouldContainExactly ends.map { case.stepAfter(it.epoch, it.batch.toInt()) }
                ends.map { it.lr } shouldContainExactly ends.map { lr.at(max(it.step, 1L)) }
                events.filterIsInstance<TrainingEvent.EpochEnd>().map { it.step } shouldContainExactly case.epochEnds
                result.steps shouldBe case.epochEnds.last()
                optimizer.stepCount() shouldBe case.epochEnds.last()
            }
        }
    }

    test("a pipeline counts ceil(b/k) steps an epoch stepping on partial groups and floor(b/k) carrying them; the budget, the run's steps") {
        NDManager.newBaseManager().use { m ->
            fun pipeline(end: Accumulation.EndOfEpoch, scheduleEpochs: Long) = Pipeline.builder().model(mlp(m))
                .data(data(m, micro)).loss(Losses.softmaxCrossEntropy()).epochs(2).accumulate(4, MEAN, end)
                .optimizer(Optimizers.sgd().lr(Timeline.of(Phase.cosine(Duration.epochs(scheduleEpochs), 0.1, 0.0))).build())
                .build()
            fun lrs(run: Pipeline, steps: Long) = (1L..steps).map { run.optimizers().getValue("default").valuesAt("default", it)["lr"] }
            fun expected(scheduleEpochs: Long, stepsPerEpoch: Long, steps: Long) =
                Timeline.of(Phase.cosine(Duration.epochs(scheduleEpochs), 0.1, 0.0)).inSteps(stepsPerEpoch).let { s -> (1L..steps).map { s.at(it) } }

            pipeline(STEP_ON_PARTIAL, 2).use { run ->
                lrs(run, 6) shouldBe expected(2, 3, 6)
                run.run().steps shouldBe 6
            }
            // Carried, 20 batches make 5 steps, while a schedule's epoch is 2: two epochs of it are too short.
            shouldThrow<InvalidConfigException> { pipeline(CARRY, 2).optimizers() }.message shouldBe
                "optimizer.default.lr lasts 4 steps, but the run is planned for 5"
            pipeline(CARRY, 3).use { run ->
                lrs(run, 5) shouldBe expected(3, 2, 5)
                run.run().steps shouldBe 5
            }
        }
    }

    class Resumed(val name: String, val end: Accumulation.EndOfEpoch, val epochs: Int, val policy: (java.nio.file.Path) -> CheckpointPolicy,
                  val written: List<Triple<Int, Long, Long>>, val resumeAt: Long) : WithDataTestName {
        override fun dataTestName() = name
    }

    context("checkpoints are written only at step boundaries, and a run resumed from one ends as the unbroken run, bit for bit") {
        withData(
            Resumed("every step, stepping on partial groups", STEP_ON_PARTIAL, 2, { CheckpointPolicy.everySteps(it, 1) },
                listOf(Triple(0, 4L, 1L), Triple(0, 8L, 2L), Triple(0, 10L, 3L), Triple(1, 4L, 4L), Triple(1, 8L, 5L), Triple(1, 10L, 6L)), 4),
            // Epoch 0 ends with two batches carried: its checkpoint waits for the step two batches into epoch 1.
            Resumed("every epoch, carrying groups", CARRY, 3, { CheckpointPolicy.everyEpochs(it, 1) },
                listOf(Triple(1, 2L, 3L), Triple(2, 0L, 5L), Triple(3, 0L, 8L)), 3),
        ) { case ->
            NDManager.newBaseManager().use { m ->
                val dir = createTempDirectory("accumulate")
                fun loop(block: SequentialBlock) = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy())
                    .train(data(m, micro)).epochs(case.epochs).manager(m).accumulate(4, MEAN, case.end)
                    .optimizer(Optimizers.adam().lr(0.01).build().compile(ParameterSet.of(block)))

                val unbroken = mlp(m)
                val written = mutableListOf<Triple<Int, Long, Long>>()
                loop(unbroken).checkpoints(case.policy(dir))
                    .callback { e, _ -> if (e is TrainingEvent.Checkpointed) written += Triple(e.epoch, e.batch, e.step) }
                    .build().run()
                written shouldContainExactly case.written

                val resumed = mlp(m)
                loop(resumed).resumeFrom(case.policy(dir).fileFor(case.resumeAt)).build().run().steps shouldBe case.written.last().third
                values(resumed).map { it.bits() } shouldBe values(unbroken).map { it.bits() }
            }
        }
    }

    class Bad(val name: String, val attempt: (NDManager) -> Any?, val message: String) : WithDataTestName {
        override fun dataTestName() = name
    }

    context("bad accumulation settings are refused with their path") {
        fun loop(m: NDManager): TrainingLoop.Builder {
            val block = mlp(m)
            return TrainingLoop.builder().block(block).train(data(m, micro)).manager(m)
                .optimizer(Optimizers.sgd().build().compile(ParameterSet.of(block)))
        }
        fun pipeline(m: NDManager, count: Int = batches) = Pipeline.builder().model(mlp(m)).data(data(m, micro, count))
        withData(
            Bad("no batches, no mode, no end of epoch, in a loop", { m ->
                loop(m).loss(Losses.softmaxCrossEntropy()).accumulate(0, null, null).build()
            }, """3 problems:
  - trainingLoop.accumulate must be at least 1 batch per step, got 0
  - trainingLoop.accumulate.mode is required (MEAN or SUM)
  - trainingLoop.accumulate.endOfEpoch is required (STEP_ON_PARTIAL or CARRY)"""),
            Bad("a negative count, in a pipeline", { m ->
                pipeline(m).loss(Losses.softmaxCrossEntropy()).optimizer(Optimizers.sgd().build()).accumulate(-1).build()
            }, "pipeline.accumulate must be at least 1 batch per step, got -1"),
            Bad("with a step of its own, in a loop", { m ->
                loop(m).step { _, _ -> 0.0 }.accumulate(2).build()
            }, "trainingLoop.accumulate belongs to the supervised step; a step of your own steps when it likes"),
            Bad("with a step rule of its own, in a pipeline", { m ->
                pipeline(m).step { _, _ -> 0.0 }.optimizer(Optimizers.sgd().build()).accumulate(2).build()
            }, "pipeline.accumulate belongs to the supervised step; a step rule of your own steps when it likes"),
            Bad("the record itself", { Accumulation(0, MEAN, CARRY) }, "accumulate must be at least 1 batch per step, got 0"),
            Bad("carried groups longer than an epoch, with a schedule in epochs", { m ->
                pipeline(m, count = 3).loss(Losses.softmaxCrossEntropy()).accumulate(4, MEAN, CARRY)
                    .optimizer(Optimizers.sgd().lr(Timeline.of(Phase.cosine(Duration.epochs(1), 0.1, 0.0))).build())
                    .build().optimizers()
            }, "pipeline.accumulate carries groups of 4 batches across epochs of 3: an epoch is no whole step, so a"
                + " schedule cannot count epochs; count it in steps, or step on the partial group"),
        ) { case ->
            NDManager.newBaseManager().use { m ->
                shouldThrow<InvalidConfigException> { case.attempt(m) }.message shouldBe case.message
            }
        }
    }
    test("BasicLoop.trainBatch multiplies the loss by the optimizer's loss scale too: a power of two changes no bit") {
        NDManager.newBaseManager().use { m ->
            fun run(spec: OptimizerSpec<*>): List<List<Int>> {
                val block = mlp(m)
                spec.compile(ParameterSet.of(block)).use { o ->
                    val store = ParameterStore(m, false)
                    for (batch in data(m, micro).getData(m)) {
                        batch.use { BasicLoop.trainBatch(block, store, Losses.softmaxCrossEntropy(), it, o) }
                    }
                }
                return values(block).map { it.bits() }
            }
            val plain = run(Optimizers.sgd().lr(0.1).momentum(0.9).build())
            run(Optimizers.sgd().lr(0.1).momentum(0.9).lossScale(LossScale.fixed(4096.0, true)).build()) shouldBe plain
        }
    }

    test("the loop multiplies the loss by the optimizer's loss scale: powers of two change no bit, with accumulation too") {
        NDManager.newBaseManager().use { m ->
            fun run(spec: OptimizerSpec<*>): Pair<List<FloatArray>, List<TrainingEvent.BatchEnd>> {
                val block = mlp(m)
                val events = mutableListOf<TrainingEvent.BatchEnd>()
                spec.compile(ParameterSet.of(block)).use { o ->
                    TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).train(data(m, micro)).epochs(2)
                        .manager(m).optimizer(o).accumulate(2)
                        .callback { e, _ -> if (e is TrainingEvent.BatchEnd) events += e }.build().run()
                }
                return values(block) to events
            }
            // SGD, whose update is proportional to the gradient: with Adam a scale left in would hide under eps.
            val (plain, plainEvents) = run(Optimizers.sgd().lr(0.1).momentum(0.9).build())
            // 10 steps; the scale doubles after steps 4 and 8.
            val (scaled, scaledEvents) = run(Optimizers.sgd().lr(0.1).momentum(0.9)
                .lossScale(LossScale.dynamic(1024.0, 2.0, 0.5, 4)).build())
            scaled.map { it.bits() } shouldBe plain.map { it.bits() }
            plainEvents.map { it.lossScale }.toSet() shouldBe setOf(1.0)
            scaledEvents.filter { it.batch % 2 == 0L }.map { it.lossScale } shouldContainExactly
                listOf(1024.0, 1024.0, 1024.0, 2048.0, 2048.0, 2048.0, 2048.0, 4096.0, 4096.0, 4096.0)
            scaledEvents.map { it.skippedSteps }.toSet() shouldBe setOf(0L)
        }
    }
})
