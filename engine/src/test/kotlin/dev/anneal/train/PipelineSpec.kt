package dev.anneal.train

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.dataset.ArrayDataset
import ai.djl.training.dataset.Dataset
import dev.anneal.config.InvalidConfigException
import dev.anneal.data.IdxDataset
import dev.anneal.optim.Optimizers
import dev.anneal.param.Selector
import dev.anneal.schedule.Duration
import dev.anneal.schedule.Phase
import dev.anneal.schedule.Timeline
import dev.anneal.support.GradientGenerator
import dev.anneal.support.writeIdx
import dev.anneal.train.loss.Losses
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeSameInstanceAs
import java.util.concurrent.Executor
import kotlin.io.path.createTempDirectory

class PipelineSpec : FunSpec({
    val warmupThenCosine = Timeline.of(Phase.warmup(Duration.steps(5), 0.0), Phase.cosine(Duration.epochs(2), 0.1, 0.0))

    /** Two linear layers (4 -> 5 -> 3) with deterministic parameters. */
    fun model(manager: NDManager): SequentialBlock {
        val block = SequentialBlock().add(Linear.builder().setUnits(5).build()).add(Linear.builder().setUnits(3).build())
        block.initialize(manager, DataType.FLOAT32, Shape(16, 4))
        block.parameters.values().forEachIndexed { i, p ->
            manager.create(GradientGenerator.values(5, 0, i, p.array.shape.size().toInt(), 0.5), p.array.shape).copyTo(p.array)
        }
        return block
    }

    /** [samples] fixed samples of 4 features and 3 classes, in batches of 16 in order. */
    fun data(manager: NDManager, samples: Int = 160): ArrayDataset {
        val x = manager.create(GradientGenerator.values(9, 0, 0, samples * 4, 1.0), Shape(samples.toLong(), 4))
        val y = manager.create(FloatArray(samples) { (it % 3).toFloat() })
        return ArrayDataset.Builder().setData(x).optLabels(y).setSampling(16, false).build()
    }

    fun supervised(manager: NDManager, epochs: Int = 2) = Pipeline.builder().model(model(manager)).data(data(manager))
        .loss(Losses.softmaxCrossEntropy()).epochs(epochs)

    /** Arrays alive anywhere under DJL's system manager, optimizer state included. */
    fun liveArrays(): Int = NDManager.newBaseManager().use { it.parentManager.managedArrays.size }

    class Counted(val name: String, val stepsPerEpoch: Long, val data: (NDManager) -> Dataset, val given: Long? = null) {
        override fun toString() = name
    }

    context("a schedule counted in epochs runs in steps per epoch counted from the data, or as given") {
        val dir = createTempDirectory()
        writeIdx(dir.resolve("images.idx"), intArrayOf(100, 2, 2), ByteArray(400) { it.toByte() })
        writeIdx(dir.resolve("labels.idx"), intArrayOf(100), ByteArray(100) { (it % 3).toByte() })
        withData(
            Counted("one pass over 160 samples in batches of 16", 10, { data(it) }),
            Counted("an IdxDataset's sampler: 100 samples in batches of 8", 13, { m ->
                IdxDataset.builder().images(dir.resolve("images.idx")).labels(dir.resolve("labels.idx")).manager(m)
                    .shuffle(8, 3).build()
            }),
            Counted("given, over data of 10 batches", 7, { data(it) }, given = 7),
        ) { case ->
            NDManager.newBaseManager().use { m ->
                val builder = Pipeline.builder().model(model(m)).data(case.data(m)).loss(Losses.softmaxCrossEntropy())
                    .epochs(2).optimizer(Optimizers.sgd().lr(warmupThenCosine).build())
                case.given?.let { builder.stepsPerEpoch(it) }
                builder.build().use { pipeline ->
                    val optimizer = pipeline.optimizers().getValue(TrainingLoop.DEFAULT_OPTIMIZER)
                    val expected = warmupThenCosine.inSteps(case.stepsPerEpoch)
                    val steps = 1L..(5 + 2 * case.stepsPerEpoch)
                    steps.map { optimizer.valuesAt("default", it)["lr"] } shouldBe steps.map { expected.at(it) }
                }
            }
        }
    }

    test("a schedule that ends before the run is refused, naming each schedule's path and the planned steps") {
        NDManager.newBaseManager().use { m ->
            val spec = Optimizers.sgd().lr(warmupThenCosine).momentum(0.9)
                .group("bias", Selector.bias()) { it.momentum(Timeline.of(Phase.linear(Duration.steps(24), 0.9, 0.5))) }
                .build()
            val tooShort = supervised(m, epochs = 3).optimizer(spec).build()
            shouldThrow<InvalidConfigException> { tooShort.optimizers() }.message shouldBe """3 problems:
  - optimizer.default.lr lasts 25 steps, but the run is planned for 30
  - optimizer.group["bias"].lr lasts 25 steps, but the run is planned for 30
  - optimizer.group["bias"].momentum lasts 24 steps, but the run is planned for 30"""
            supervised(m, epochs = 2).optimizer(spec).build().use { it.optimizers().size shouldBe 1 } // 20 steps fit
        }
    }

    test("optimizers sharing a trainable parameter are refused with the parameter and both names") {
        NDManager.newBaseManager().use { m ->
            val overlapping = Pipeline.builder().model(model(m)).data(data(m)).step { _, _ -> 0.0 }
                .optimizer("a", Selector.glob("01*"), Optimizers.adam().build())
                .optimizer("b", Selector.glob("0*"), Optimizers.adam().build())
                .build()
            shouldThrow<InvalidConfigException> { overlapping.optimizers() }.message shouldBe """2 problems:
  - optimizers.b shares parameter 01Linear_weight with a; each parameter may have one optimizer
  - optimizers.b shares parameter 01Linear_bias with a; each parameter may have one optimizer"""
            val empty = Pipeline.builder().model(model(m)).data(data(m)).loss(Losses.softmaxCrossEntropy())
                .optimizer("head", Selector.glob("09*"), Optimizers.adam().build()).build()
            shouldThrow<InvalidConfigException> { empty.optimizers() }.message shouldContain
                "pipeline.optimizer[\"head\"] selects no parameter with"
        }
    }

    test("every bad field is reported at once, each with its path") {
        val sgd = Optimizers.sgd().lr(0.1).build()
        shouldThrow<InvalidConfigException> {
            Pipeline.builder().epochs(0).prefetch(Executor { it.run() }, -1).stepsPerEpoch(0)
                .optimizer("a", Selector.glob("01*"), sgd).optimizer("b", null, sgd).optimizer("a", null, sgd)
                .build()
        }.message shouldBe """8 problems:
  - pipeline.model is required
  - pipeline.data is required
  - pipeline.optimizer "a" is declared twice; optimizer names must be unique
  - pipeline.loss is required (or a step rule of your own)
  - pipeline.step is required with several optimizers [a, b] (which one steps when?)
  - pipeline.epochs must be at least 1, got 0
  - pipeline.prefetch must be at least 0, got -1
  - pipeline.stepsPerEpoch must be at least 1, got 0"""
    }

    test("when a later optimizer fails to compile, the ones compiled before it are closed") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = model(m) to data(m)
            val groupOfNothing = Optimizers.sgd().lr(0.1).group("none", Selector.name("nothing")) { it.lr(0.2) }.build()
            fun firstOnly() = Pipeline.builder().model(block).data(data).step { _, _ -> 0.0 }
                .optimizer("first", Selector.glob("01*"), Optimizers.sgd().lr(0.1).momentum(0.9).build())

            val before = liveArrays()
            firstOnly().build().use { compiled ->
                compiled.optimizers()
                liveArrays() shouldBeGreaterThan before // the first optimizer's momentum buffers: what a leak would leave
            }
            liveArrays() shouldBe before
            shouldThrow<InvalidConfigException> {
                firstOnly().optimizer("second", Selector.glob("02*"), groupOfNothing).build().optimizers()
            }.message shouldContain "group[\"none\"] selects no trainable parameter"
            liveArrays() shouldBe before
        }
    }

    test("each run makes its callbacks afresh, so what one remembers starts over") {
        NDManager.newBaseManager().use { m ->
            val made = mutableListOf<MutableList<TrainingEvent>>()
            val pipeline = supervised(m).optimizer(Optimizers.sgd().lr(0.1).build()).callback {
                val seen = mutableListOf<TrainingEvent>()
                made += seen
                Callback { event, _ -> seen += event }
            }.build()
            pipeline.use {
                it.run()
                it.run()
            }
            made.size shouldBe 2
            made[1].size shouldBe made[0].size
        }
    }

    test("the optimizers are compiled once and kept across runs, until closed") {
        NDManager.newBaseManager().use { m ->
            val pipeline = supervised(m).optimizer(Optimizers.sgd().lr(0.1).momentum(0.9).build()).build()
            val optimizer = pipeline.optimizers().getValue("default")
            pipeline.run().steps shouldBe 20
            pipeline.run().steps shouldBe 40 // the second run continues the same optimizer
            pipeline.optimizers().getValue("default") shouldBeSameInstanceAs optimizer
            pipeline.close()
            shouldThrow<IllegalStateException> { optimizer.step() }.message shouldBe "this optimizer is closed"
        }
    }
})
