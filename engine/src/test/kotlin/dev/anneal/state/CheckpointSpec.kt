package dev.anneal.state

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.Blocks
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import dev.anneal.config.InvalidConfigException
import dev.anneal.data.IdxDataset
import dev.anneal.grad.LossScale
import dev.anneal.optim.Optimizer
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Plateau
import dev.anneal.schedule.Schedule
import dev.anneal.support.GradientGenerator
import dev.anneal.support.TinyNet
import dev.anneal.support.awayFromZero
import dev.anneal.support.backward
import dev.anneal.support.bits
import dev.anneal.support.writeIdx
import dev.anneal.train.Callback
import dev.anneal.train.Callbacks
import dev.anneal.train.TrainingEvent
import dev.anneal.train.TrainingLoop
import dev.anneal.train.loss.Losses
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.nio.file.Files
import kotlin.io.path.createTempDirectory
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.name

class CheckpointSpec : FunSpec({
    fun plateau() = Plateau(Schedule.constant(0.05), Plateau.Mode.MAX, 0.5, 0, 0.0, Plateau.ThresholdMode.ABS, 0, 0.0, 0.0)

    /** Adam over the tiny net, its lr under a plateau shared by both groups, after [steps] steps. */
    fun trained(net: TinyNet, plateau: Plateau, steps: Int): Optimizer<*> {
        val optimizer = Optimizers.adam().lr(plateau.times(2.0)).amsgrad(true)
            .group("fc", dev.anneal.param.Selector.name("06Linear_weight")) { it.lr(plateau) }
            .build().compile(net.parameterSet())
        repeat(steps) { step ->
            optimizer.zeroGrad()
            backward(net.manager, net.block.parameters.values().filter { it.requiresGradient() }
                .mapIndexed { i, p -> p.array to awayFromZero(3, step.toLong(), i, p.array.shape.size().toInt()) }.toMap())
            optimizer.step()
        }
        return optimizer
    }

    test("a checkpoint file gives back every parameter, moment, counter and plateau state, bit for bit") {
        NDManager.newBaseManager().use { m ->
            val net = TinyNet(m)
            val plateau = plateau()
            plateau.observe(0.5, 1)
            plateau.observe(0.4, 2) // a reduction: scale 0.5, best 0.5
            val optimizer = trained(net, plateau, 3)
            val dir = createTempDirectory()
            val file = dir.resolve("one.anneal")
            CheckpointFile.write(file, Checkpoint.capture(2, 7, net.parameterSet(), mapOf("default" to optimizer)))
            dir.listDirectoryEntries().map { it.name } shouldContainExactly listOf("one.anneal") // no temporary left

            val read = CheckpointFile.read(file, m)
            read.epoch shouldBe 2
            read.batch shouldBe 7
            read.parameters.keys.toList() shouldContainExactly TinyNet.ALL
            TinyNet.ALL.forEach { read.parameters.getValue(it).toFloatArray().bits() shouldBe net.array(it).toFloatArray().bits() }
            val state = read.optimizers.getValue("default")
            val live = optimizer.state()
            state.optimizer shouldBe "adam"
            state.step shouldBe 3
            state.updates shouldBe live.updates
            state.tensors.keys.toList() shouldContainExactly live.tensors.keys.toList()
            live.tensors.forEach { (key, array) -> state.tensors.getValue(key).toFloatArray().bits() shouldBe array.toFloatArray().bits() }
            // The plateau sits in both groups' lr; it is saved once, where it is first found.
            read.plateaus shouldBe mapOf("default.default.lr#0" to plateau.state())
        }
    }

    test("restoring into a fresh model and optimizer continues exactly as the original does") {
        NDManager.newBaseManager().use { m ->
            val original = TinyNet(m)
            val originalPlateau = plateau()
            val optimizer = trained(original, originalPlateau, 3)
            originalPlateau.observe(0.9, 3)
            val file = createTempDirectory().resolve("c.anneal")
            CheckpointFile.write(file, Checkpoint.capture(0, 3, original.parameterSet(), mapOf("d" to optimizer)))

            val copy = TinyNet(m, seed = 99)
            val copyPlateau = plateau()
            val other = trained(copy, copyPlateau, 0)
            CheckpointFile.read(file, m).restore(copy.parameterSet(), mapOf("d" to other))
            other.stepCount() shouldBe 3
            copyPlateau.state() shouldBe originalPlateau.state()
            for ((net, opt) in listOf(original to optimizer, copy to other)) {
                opt.zeroGrad()
                backward(m, net.block.parameters.values().filter { it.requiresGradient() }
                    .mapIndexed { i, p -> p.array to awayFromZero(3, 3, i, p.array.shape.size().toInt()) }.toMap())
                opt.step()
            }
            TinyNet.ALL.forEach { copy.array(it).toFloatArray().bits() shouldBe original.array(it).toFloatArray().bits() }
        }
    }

    test("a checkpoint keeps the loss scale, its good steps and the skipped steps, and a resumed run scales as the original") {
        NDManager.newBaseManager().use { m ->
            val spec = Optimizers.sgd().momentum(0.9).lossScale(LossScale.dynamic(1024.0, 2.0, 0.5, 3)).build()
            /** Step [t]: the gradients times the scale, infinite at steps 2 and 6 (an overflow). */
            fun step(net: TinyNet, optimizer: Optimizer<*>, t: Int) {
                optimizer.zeroGrad()
                backward(m, net.block.parameters.values().filter { it.requiresGradient() }.mapIndexed { i, p ->
                    val g = awayFromZero(5, t.toLong(), i, p.array.shape.size().toInt()).map { it * optimizer.lossScale() }
                    p.array to g.mapIndexed { k, v -> if (k == 0 && i == 0 && (t == 2 || t == 6)) Float.POSITIVE_INFINITY else v }
                        .toFloatArray()
                }.toMap())
                optimizer.step()
            }
            val original = TinyNet(m)
            val optimizer = spec.compile(original.parameterSet())
            // Saved mid-run, two good steps into the interval of 3: a restore that dropped the scale or
            // its good steps would resume at 1024 or double a step late, and the loop below would see it.
            (1..4).forEach { step(original, optimizer, it) }
            optimizer.skippedSteps() shouldBe 1
            optimizer.lossScale() shouldBe 512f // 1024, halved at step 2; steps 3 and 4 are good
            val file = createTempDirectory().resolve("scaled.anneal")
            CheckpointFile.write(file, Checkpoint.capture(0, 4, original.parameterSet(), mapOf("d" to optimizer)))
            val read = CheckpointFile.read(file, m).optimizers.getValue("d")
            read.skippedSteps shouldBe 1
            read.lossScale shouldBe LossScale.State(512f, 2)

            val copy = TinyNet(m, seed = 99)
            val other = spec.compile(copy.parameterSet())
            CheckpointFile.read(file, m).restore(copy.parameterSet(), mapOf("d" to other))
            other.lossScale() shouldBe 512f
            for (t in 5..10) {
                step(original, optimizer, t)
                step(copy, other, t)
                other.lossScale() shouldBe optimizer.lossScale()
            }
            other.skippedSteps() shouldBe 2
            other.stepCount() shouldBe 8
            TinyNet.ALL.forEach { copy.array(it).toFloatArray().bits() shouldBe original.array(it).toFloatArray().bits() }
        }
    }

    test("a checkpoint that does not fit is refused by name before anything changes") {
        NDManager.newBaseManager().use { m ->
            val net = TinyNet(m)
            val file = createTempDirectory().resolve("c.anneal")
            CheckpointFile.write(file, Checkpoint.capture(0, 0, net.parameterSet(), mapOf("d" to trained(net, plateau(), 1))))
            val saved = CheckpointFile.read(file, m)

            val other = TinyNet(m, seed = 5)
            val before = other.values().mapValues { it.value.bits() }
            shouldThrow<InvalidConfigException> { saved.restore(other.parameterSet(), mapOf("g" to trained(other, plateau(), 0))) }
                .message shouldContain "checkpoint.optimizers lack [\"g\"], which the run has, and have [\"d\"], which the run has not"
            val sgd = Optimizers.sgd().lr(0.1).build().compile(other.parameterSet())
            val plateauFree = Checkpoint(0, 0, saved.parameters, saved.optimizers, emptyMap())
            shouldThrow<InvalidConfigException> { plateauFree.restore(other.parameterSet(), mapOf("d" to sgd)) }
                .message shouldContain "checkpoint.optimizers[\"d\"].optimizer is adam, expected sgd"
            val wider = SequentialBlock().add(Linear.builder().setUnits(3).build())
            wider.initialize(m, DataType.FLOAT32, Shape(1, 4))
            val mismatched = Checkpoint(0, 0, mapOf("01Linear_weight" to m.zeros(Shape(2, 4)), "01Linear_bias" to m.zeros(Shape(3))),
                emptyMap(), emptyMap())
            shouldThrow<InvalidConfigException> { mismatched.restore(ParameterSet.of(wider), emptyMap()) }
                .message shouldContain "checkpoint.parameters[\"01Linear_weight\"] is float32 (2, 4), the model has float32 (3, 4)"
            other.values().mapValues { it.value.bits() } shouldBe before
        }
    }

    test("a damaged or truncated file is refused, never loaded") {
        NDManager.newBaseManager().use { m ->
            val net = TinyNet(m)
            val file = createTempDirectory().resolve("c.anneal")
            CheckpointFile.write(file, Checkpoint.capture(0, 0, net.parameterSet(), emptyMap()))
            val bytes = Files.readAllBytes(file)

            val flipped = bytes.copyOf().also { it[20] = (it[20].toInt() xor 1).toByte() }
            Files.write(file, flipped)
            shouldThrowExactly<InvalidConfigException> { CheckpointFile.read(file, m) }.message shouldContain "fails its CRC-32 check"

            Files.write(file, bytes.copyOf(bytes.size - 3))
            shouldThrowExactly<InvalidConfigException> { CheckpointFile.read(file, m) }.message shouldContain "does not end with ANNEALC2"

            Files.write(file, "{\"format\":\"anneal-checkpoint\"}".toByteArray())
            shouldThrowExactly<InvalidConfigException> { CheckpointFile.read(file, m) }.message shouldContain "too short for a checkpoint"
        }
    }

    test("a step closure is evaluated once before the update and its loss returned, as in PyTorch") {
        NDManager.newBaseManager().use { m ->
            val (a, b) = TinyNet(m) to TinyNet(m)
            val (oa, ob) = listOf(a, b).map { Optimizers.sgd().lr(0.1).momentum(0.9).build().compile(it.parameterSet()) }
            fun gradients(net: TinyNet) = net.block.parameters.values().filter { it.requiresGradient() }
                .mapIndexed { i, p -> p.array to awayFromZero(4, 0, i, p.array.shape.size().toInt()) }.toMap()
            var calls = 0
            val before = a.array(TinyNet.FC2_W).toFloatArray().bits()
            val loss = oa.step {
                calls++
                a.array(TinyNet.FC2_W).toFloatArray().bits() shouldBe before // nothing updated yet
                oa.zeroGrad()
                backward(m, gradients(a))
                1.5
            }
            loss shouldBe 1.5
            calls shouldBe 1
            oa.stepCount() shouldBe 1
            ob.zeroGrad()
            backward(m, gradients(b))
            ob.step()
            TinyNet.ALL.forEach { a.array(it).toFloatArray().bits() shouldBe b.array(it).toFloatArray().bits() }
        }
    }

    test("a run resumed from a mid-epoch checkpoint ends with the uninterrupted run's parameters, bit for bit") {
        val dir = createTempDirectory()
        val images = dir.resolve("images.idx")
        val labels = dir.resolve("labels.idx")
        val n = 100
        writeIdx(images, intArrayOf(n, 4, 4), ByteArray(n * 16) { ((GradientGenerator.values(7, 0, 0, n * 16, 1.0)[it] + 1) * 127).toInt().toByte() })
        writeIdx(labels, intArrayOf(n), ByteArray(n) { (it * 7 % 3).toByte() })

        class Run(val m: NDManager, seed: Long = 8) {
            val block: SequentialBlock = SequentialBlock().add(Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(3).build())
            val plateau = plateau()
            val optimizer: Optimizer<*>
            val train: IdxDataset = IdxDataset.builder().images(images).labels(labels).manager(m).shuffle(8, 21).build()
            val validation: IdxDataset = IdxDataset.builder().images(images).labels(labels).manager(m).setSampling(50, false).build()

            init {
                block.initialize(m, DataType.FLOAT32, Shape(8, 1, 4, 4))
                block.parameters.values().forEachIndexed { i, p ->
                    m.create(GradientGenerator.values(seed, 0, i, p.array.shape.size().toInt(), 0.5), p.array.shape).copyTo(p.array)
                }
                optimizer = Optimizers.adam().lr(plateau).build().compile(ParameterSet.of(block))
            }

            fun loop(vararg callbacks: Callback, configure: (TrainingLoop.Builder) -> Unit = {}): TrainingLoop.Builder {
                val b = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
                    .train(train).validation(validation).epochs(3).manager(m).callback(Callbacks.plateau(plateau, "val_accuracy"))
                callbacks.forEach { b.callback(it) }
                configure(b)
                return b
            }

            fun params() = block.parameters.values().map { it.array.toFloatArray().bits() }
        }

        NDManager.newBaseManager().use { m ->
            val straight = Run(m)
            straight.loop().build().run().steps shouldBe 39 // 13 batches an epoch, the last of 4
            val checkpoints = dir.resolve("checkpoints")

            val first = Run(m)
            val written = mutableListOf<TrainingEvent.Checkpointed>()
            val stopped = first.loop({ e, control ->
                if (e is TrainingEvent.Checkpointed) written += e
                if (e is TrainingEvent.BatchEnd && e.step == 17L) control.stop("interrupted")
            }) { it.checkpoints(CheckpointPolicy.everySteps(checkpoints, 5).keep(2)) }.build().run()
            stopped.steps shouldBe 17
            written.map { Triple(it.epoch, it.batch, it.step) } shouldContainExactly
                listOf(Triple(0, 5L, 5L), Triple(0, 10L, 10L), Triple(1, 2L, 15L))
            checkpoints.listDirectoryEntries().map { it.name }.sorted() shouldContainExactly
                listOf("checkpoint-0000000010.anneal", "checkpoint-0000000015.anneal")
            val latest = CheckpointPolicy.latest(checkpoints).file().get()
            latest shouldBe written.last().file

            val resumed = Run(m, seed = 77) // other initial values: the checkpoint replaces them
            val events = mutableListOf<TrainingEvent>()
            val result = resumed.loop({ e, _ -> events += e }) { it.resumeFrom(latest) }.build().run()
            result.steps shouldBe 39
            result.epochs shouldBe 3
            events.filterIsInstance<TrainingEvent.BatchEnd>().first().let { (it.epoch to it.batch) shouldBe (1 to 3L) }
            resumed.params() shouldBe straight.params()
            resumed.plateau.state() shouldBe straight.plateau.state()
        }
    }
})
