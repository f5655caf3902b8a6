package dev.anneal.train

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.Blocks
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.dataset.ArrayDataset
import ai.djl.training.dataset.Dataset
import dev.anneal.config.InvalidConfigException
import dev.anneal.data.IdxDataset
import dev.anneal.optim.AdamOptions
import dev.anneal.optim.Optimizer
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Duration
import dev.anneal.schedule.Phase
import dev.anneal.schedule.Timeline
import dev.anneal.state.CheckpointPolicy
import dev.anneal.support.GradientGenerator
import dev.anneal.support.backward
import dev.anneal.support.bits
import dev.anneal.support.writeIdx
import dev.anneal.train.loss.Losses
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.engine.names.WithDataTestName
import io.kotest.matchers.doubles.shouldNotBeNaN
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.nio.file.Path
import kotlin.io.path.createTempDirectory

/**
 * Nothing to train is a mistake, and so is data the model cannot take: each is refused before
 * the first step with an [InvalidConfigException] naming the field and the files, and leaves the
 * model's parameters, the optimizer's state and its step counter as they were.
 */
class NothingToTrainSpec : FunSpec({
    /** A linear classifier of 4x4 images into 3 classes, an Adam optimizer that has taken one step, and files to read. */
    class Fixture(val m: NDManager, val dir: Path) {
        val block: SequentialBlock = SequentialBlock().add(Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(3).build())
        val optimizer: Optimizer<AdamOptions.Group>

        init {
            block.initialize(m, DataType.FLOAT32, Shape(8, 1, 4, 4))
            block.parameters.values().forEachIndexed { i, p ->
                m.create(GradientGenerator.values(3, 0, i, p.array.shape.size().toInt(), 0.5), p.array.shape).copyTo(p.array)
            }
            optimizer = Optimizers.adam().lr(0.01).build().compile(ParameterSet.of(block))
            backward(m, block.parameters.values().associate { p -> p.array to FloatArray(p.array.shape.size().toInt()) { 0.1f } })
            optimizer.step() // so that there is state to keep
        }

        /** An IDX set of [n] images of [side]x[side] with labels 0 until [classes], read in batches of [batch]. */
        fun idx(n: Int, side: Int = 4, classes: Int = 3, name: String = "set", batch: Int = 4,
                configure: (IdxDataset.Builder) -> IdxDataset.Builder = { it.setSampling(batch, false) }): IdxDataset {
            writeIdx(dir.resolve("$name-images.idx"), intArrayOf(n, side, side), ByteArray(n * side * side) { (it % 251).toByte() })
            writeIdx(dir.resolve("$name-labels.idx"), intArrayOf(n), ByteArray(n) { (it % classes).toByte() })
            return configure(IdxDataset.builder().images(dir.resolve("$name-images.idx")).labels(dir.resolve("$name-labels.idx")).manager(m)).build()
        }

        /** In-memory examples of this model's shape. */
        fun arrays(n: Long, batch: Int, dropLast: Boolean = false): Dataset = ArrayDataset.Builder()
            .setData(m.zeros(Shape(n, 1, 4, 4))).optLabels(m.zeros(Shape(n))).setSampling(batch, false, dropLast).build()

        fun loop(train: Dataset = idx(20)): TrainingLoop.Builder = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy())
            .optimizer(optimizer).train(train).epochs(2).manager(m)

        fun pipeline(data: Dataset) = Pipeline.builder().model(block).data(data).loss(Losses.softmaxCrossEntropy()).epochs(2)

        /** Parameters, optimizer tensors and counts, and the step counter, copied out. */
        fun snapshot(): List<Any> {
            val state = optimizer.state()
            return listOf(
                block.parameters.map { it.key to it.value.array.toFloatArray().bits() },
                state.tensors().mapValues { it.value.toFloatArray().bits() },
                state.updates(),
                optimizer.stepCount(),
            )
        }
    }

    class Case(val name: String, val message: String, val attempt: (Fixture) -> Unit) : WithDataTestName {
        override fun dataTestName() = name
    }

    context("refused before the first step, naming the field and the files, with everything left as it was") {
        withData(
            Case("every parameter frozen", "trainingLoop.optimizer[\"default\"] has no trainable parameter (none given, or all frozen): nothing to train") { f ->
                f.block.freezeParameters(true)
                val frozen = Optimizers.adam().lr(0.01).build().compile(ParameterSet.of(f.block))
                TrainingLoop.builder().block(f.block).loss(Losses.softmaxCrossEntropy()).optimizer(frozen).train(f.idx(20)).manager(f.m).build()
            },
            Case("an empty parameter set", "optimizer.parameters is empty: there is nothing to optimize") {
                Optimizers.adam().lr(0.01).build().compile(ParameterSet.of(emptyMap()))
            },
            Case("a pipeline over a frozen model", "trainingLoop.optimizer[\"default\"] has no trainable parameter") { f ->
                f.block.freezeParameters(true)
                f.pipeline(f.idx(20)).optimizer(Optimizers.sgd().lr(0.1).build()).build().use { it.run() }
            },
            Case("a batch larger than the data", "trainingLoop.train has batches of 64, more than its 20 examples") { f ->
                f.loop(f.idx(20, batch = 64)).build()
            },
            Case("a shuffle in batches larger than the data", "; use a batch size of at most 20, or allowBatchLargerThanData() for one smaller batch an epoch") { f ->
                f.loop(f.idx(20) { it.shuffle(21, 1) }).build()
            },
            Case("images of 5x5 for a model of 4x4", "trainingLoop.train has examples of shape (1, 5, 5) (") { f ->
                f.loop(f.idx(20, side = 5)).build()
            },
            Case("the files named with the wrong image size", "-images.idx and ") { f ->
                f.loop(f.idx(20, side = 5, name = "wide")).build()
            },
            Case("the model's shape named with the wrong image size", "but the model was initialized for (1, 4, 4) (inputs (8, 1, 4, 4))") { f ->
                f.loop(f.idx(20, side = 3)).build()
            },
            Case("labels up to 7 for 3 classes", "trainingLoop.train has labels up to 7 (") { f ->
                f.loop(f.idx(20, classes = 8)).build()
            },
            Case("label 255 for 3 classes", "but the model has 3 classes; labels must be class indices from 0 to 2") { f ->
                f.loop(f.idx(256, classes = 256)).build()
            },
            Case("validation images of the wrong size", "trainingLoop.validation has examples of shape (1, 6, 6)") { f ->
                f.loop().validation(f.idx(10, side = 6, name = "validation")).build()
            },
            Case("validation labels beyond the classes", "trainingLoop.validation has labels up to 5") { f ->
                f.loop().validation(f.idx(10, classes = 6, name = "validation")).build()
            },
            Case("no examples in memory", "trainingLoop.train has no examples: nothing to train on") { f ->
                f.loop(f.arrays(0, 4)).build()
            },
            Case("no validation examples", "trainingLoop.validation has no examples: nothing to validate on") { f ->
                f.loop().validation(f.arrays(0, 4)).build()
            },
            Case("a sampler that drops the only batch", "trainingLoop.train gave no batch in epoch 0") { f ->
                f.loop(f.arrays(10, 16, dropLast = true)).build().run()
            },
            Case("a pipeline whose sampler drops every batch", "trainingLoop.train gave no batch in epoch 0") { f ->
                f.pipeline(f.arrays(10, 16, dropLast = true)).optimizer(Optimizers.sgd().lr(0.1).build()).build().use { it.run() }
            },
            Case("a pipeline counting epochs over a sampler that drops every batch", "pipeline.data gives no batch") { f ->
                f.pipeline(f.arrays(10, 16, dropLast = true))
                    .optimizer(Optimizers.sgd().lr(Timeline.of(Phase.constant(Duration.epochs(2), 0.1))).build()).build().use { it.run() }
            },
            Case("a frozen model and labels out of range at once", "2 problems:") { f ->
                f.block.freezeParameters(true)
                val frozen = Optimizers.adam().lr(0.01).build().compile(ParameterSet.of(f.block))
                TrainingLoop.builder().block(f.block).loss(Losses.softmaxCrossEntropy()).optimizer(frozen)
                    .train(f.idx(20, classes = 4)).manager(f.m).build()
            },
        ) { case ->
            NDManager.newBaseManager().use { m ->
                val f = Fixture(m, createTempDirectory())
                val before = f.snapshot()
                shouldThrowExactly<InvalidConfigException> { case.attempt(f) }.message shouldContain case.message
                f.snapshot() shouldBe before
            }
        }
    }

    test("a batch larger than the data, when asked for, trains one smaller batch an epoch") {
        NDManager.newBaseManager().use { m ->
            val f = Fixture(m, createTempDirectory())
            val result = f.loop(f.idx(20) { it.setSampling(64, false).allowBatchLargerThanData() }).build().run()
            result.steps shouldBe 3 // the fixture's step and one an epoch
        }
    }

    test("a validation set may be read in one batch larger than itself") {
        NDManager.newBaseManager().use { m ->
            val f = Fixture(m, createTempDirectory())
            val result = f.loop().validation(f.idx(10, name = "validation", batch = 64)).build().run()
            result.validationAccuracy.shouldNotBeNaN()
        }
    }

    test("a run resumed from a checkpoint already at its end trains nothing and reports the restored model's figures") {
        NDManager.newBaseManager().use { m ->
            val dir = createTempDirectory()
            val f = Fixture(m, dir)
            val validation = f.idx(10, name = "validation", batch = 5)
            val checkpoints = dir.resolve("checkpoints")
            val finished = f.loop().validation(validation).checkpoints(CheckpointPolicy.everyEpochs(checkpoints, 1)).build().run()
            val before = f.snapshot()
            val again = f.loop().validation(validation).resumeFrom(CheckpointPolicy.latest(checkpoints).file().get()).build().run()
            f.snapshot() shouldBe before
            again.epochs shouldBe 2
            again.steps shouldBe finished.steps
            again.validationAccuracy shouldBe finished.validationAccuracy
            again.metrics shouldBe finished.metrics
        }
    }
})
