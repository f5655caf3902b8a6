package dev.anneal.train

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.dataset.ArrayDataset
import dev.anneal.config.InvalidConfigException
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.support.GradientGenerator
import dev.anneal.support.bits
import dev.anneal.train.loss.Losses
import dev.anneal.train.metric.MeanLoss
import dev.anneal.train.metric.TopK
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.doubles.plusOrMinus
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import java.util.concurrent.Executors

class TrainingStepSpec : FunSpec({
    val samples = 96
    val batchSize = 16

    /** Two linear layers on fixed data, parameters set from the generator so runs can be compared. */
    fun setUp(manager: NDManager): Pair<SequentialBlock, ArrayDataset> {
        val block = SequentialBlock().add(Linear.builder().setUnits(5).build()).add(Linear.builder().setUnits(3).build())
        block.initialize(manager, DataType.FLOAT32, Shape(batchSize.toLong(), 4))
        block.parameters.values().forEachIndexed { i, p ->
            manager.create(GradientGenerator.values(5, 0, i, p.array.shape.size().toInt(), 0.5), p.array.shape).copyTo(p.array)
        }
        val x = manager.create(GradientGenerator.values(9, 0, 0, samples * 4, 1.0), Shape(samples.toLong(), 4))
        val y = manager.create(FloatArray(samples) { (it % 3).toFloat() })
        return block to ArrayDataset.Builder().setData(x).optLabels(y).setSampling(batchSize, false).build()
    }

    fun params(block: SequentialBlock) = block.parameters.values().map { it.array.toFloatArray().bits() }

    fun supervised(manager: NDManager, block: SequentialBlock, data: ArrayDataset) =
        TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).train(data).epochs(2).manager(manager)

    test("batches read ahead on another thread train to the same bits, and none is left open") {
        val pool = Executors.newFixedThreadPool(2) as java.util.concurrent.ThreadPoolExecutor
        try {
            NDManager.newBaseManager().use { m ->
                val (plain, data) = setUp(m)
                supervised(m, plain, data).optimizer(Optimizers.adam().lr(0.01).build().compile(ParameterSet.of(plain)))
                    .build().run()
                val (ahead, data2) = setUp(m)
                val result = supervised(m, ahead, data2).optimizer(Optimizers.adam().lr(0.01).build().compile(ParameterSet.of(ahead)))
                    .prefetch(pool, 3).build().run()
                result.steps shouldBe 12
                params(ahead) shouldBe params(plain)
                pool.activeCount shouldBe 0 // no read outlives the run
            }
        } finally {
            pool.shutdown()
        }
    }

    test("cancelled while batches are read ahead, the read batches are freed and the counter is whole") {
        val pool = Executors.newFixedThreadPool(2) as java.util.concurrent.ThreadPoolExecutor
        try {
            NDManager.newBaseManager().use { m ->
                val (block, data) = setUp(m)
                var batches = 0
                val optimizer = Optimizers.sgd().lr(0.1).build().compile(ParameterSet.of(block))
                val result = supervised(m, block, data).optimizer(optimizer).prefetch(pool, 4)
                    .callback { e, _ -> if (e is TrainingEvent.BatchEnd) batches++ }
                    .cancelled { batches >= 3 }.build().run()
                result.stopReason shouldBe "cancelled"
                optimizer.stepCount() shouldBe 3
                pool.activeCount shouldBe 0
            }
        } finally {
            pool.shutdown()
        }
    }

    test("a gradient transform sees the gradients before the update, and returning false skips it") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val optimizer = Optimizers.sgd().lr(0.1).build().compile(ParameterSet.of(block))
            val norms = mutableListOf<Double>()
            var calls = 0
            val result = supervised(m, block, data).optimizer(optimizer)
                .gradientTransform { o ->
                    norms += o.parameters().trainable().sumOf { it.array().gradient.abs().sum().getFloat().toDouble() }
                    true
                }
                .gradientTransform { ++calls % 2 == 0 } // every other batch is skipped
                .build().run()
            norms.size shouldBe 12
            norms.all { it > 0 } shouldBe true
            result.steps shouldBe 6
            optimizer.stepCount() shouldBe 6
        }
    }

    test("a step of its own with two optimizers over disjoint halves: each moves only its half") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val all = ParameterSet.of(block)
            val names = all.all().map { it.name() }
            val first = all.subset("first", Selector.glob("01Linear_*"))
            val second = all.subset("second", Selector.glob("02Linear_*"))
            ParameterSet.checkDisjoint(mapOf("first" to first, "second" to second))
            val a = Optimizers.sgd().lr(0.1).build().compile(first)
            val b = Optimizers.sgd().lr(0.1).build().compile(second)
            val loss = Losses.softmaxCrossEntropy()
            val moved = mutableListOf<Set<String>>()
            val result = TrainingLoop.builder().block(block).train(data).epochs(1).manager(m)
                .optimizer("first", a).optimizer("second", b)
                .step { batch, context ->
                    val which = if (context.optimizer("first").stepCount() <= context.optimizer("second").stepCount()) "first" else "second"
                    val before = block.parameters.values().map { it.array.toFloatArray().bits() }
                    context.optimizer(which).zeroGrad()
                    val value = SupervisedStep.lossAndGradients(block, context.store(), loss, batch)
                    context.optimizer(which).step()
                    val after = block.parameters.values().map { it.array.toFloatArray().bits() }
                    moved += names.indices.filter { before[it] != after[it] }.map { names[it] }.toSet()
                    value.toDouble()
                }.build().run()
            result.steps shouldBe 3 // the first optimizer's counter: it took every other batch
            a.stepCount() shouldBe 3
            b.stepCount() shouldBe 3
            moved.forEachIndexed { i, names -> names shouldBe (if (i % 2 == 0) first else second).all().map { it.name() }.toSet() }
        }
    }

    test("parts sharing a parameter, a subset that picks nothing, and an unknown optimizer name are refused") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val all = ParameterSet.of(block)
            val e = shouldThrow<InvalidConfigException> {
                ParameterSet.checkDisjoint(mapOf("d" to all.subset("d", Selector.glob("01*")), "g" to all))
            }
            e.message shouldContain "optimizers.g shares parameter 01Linear_weight with d"
            shouldThrow<InvalidConfigException> { all.subset("generator", Selector.glob("gen*")) }
                .message shouldContain "generator selects no parameter with glob(\"gen*\")"
            val o = Optimizers.sgd().build().compile(all)
            shouldThrow<InvalidConfigException> {
                TrainingLoop.builder().block(block).train(data).manager(m).optimizer("d", o)
                    .step { _, context -> context.optimizer("D").stepCount().toDouble() }.build().run()
            }.message shouldContain "has no optimizer named \"D\"; names are [d]"
            shouldThrow<InvalidConfigException> {
                TrainingLoop.builder().block(block).train(data).manager(m).optimizer("d", o).optimizer("g", o)
                    .loss(Losses.softmaxCrossEntropy()).build()
            }.message shouldContain "is required with several optimizers [d, g]"
        }
    }

    test("validation metrics: accuracy, top-k and mean loss, reported before the epoch's end") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val events = mutableListOf<TrainingEvent>()
            val result = supervised(m, block, data).optimizer(Optimizers.sgd().lr(0.1).build().compile(ParameterSet.of(block)))
                .validation(data).metric(TopK.accuracy()).metric(TopK(2)).metric(MeanLoss(Losses.softmaxCrossEntropy()))
                .callback { e, _ -> if (e is TrainingEvent.Validated || e is TrainingEvent.EpochEnd) events += e }.build().run()
            events.map { it::class.simpleName } shouldContainExactly listOf("Validated", "EpochEnd", "Validated", "EpochEnd")
            val validated = events[2] as TrainingEvent.Validated
            validated.metrics.keys.toList() shouldContainExactly listOf("accuracy", "top2", "loss")
            result.metrics shouldBe validated.metrics
            (events[3] as TrainingEvent.EpochEnd).validationAccuracy() shouldBe validated.metrics["accuracy"]
            // Independent figures over the whole set at once.
            val x = m.create(GradientGenerator.values(9, 0, 0, samples * 4, 1.0), Shape(samples.toLong(), 4))
            val y = m.create(FloatArray(samples) { (it % 3).toFloat() })
            val scores = block.forward(ai.djl.training.ParameterStore(m, false), ai.djl.ndarray.NDList(x), false).singletonOrThrow()
            val top = scores.argMax(1).toType(DataType.FLOAT32, false)
            validated.metrics["accuracy"]!! shouldBe (top.eq(y).sum().getLong().toDouble() / samples plusOrMinus 1e-12)
            val loss = Losses.softmaxCrossEntropy().evaluate(ai.djl.ndarray.NDList(y), ai.djl.ndarray.NDList(scores)).getFloat()
            validated.metrics["loss"]!! shouldBe (loss.toDouble() plusOrMinus 1e-5)
            validated.metrics["top2"]!! shouldNotBe validated.metrics["accuracy"]
        }
    }
})
