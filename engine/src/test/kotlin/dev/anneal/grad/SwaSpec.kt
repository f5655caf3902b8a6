package dev.anneal.grad

import ai.djl.ndarray.NDList
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.AbstractBlock
import ai.djl.nn.Activation
import ai.djl.nn.Parameter
import ai.djl.nn.Block
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.nn.norm.BatchNorm
import ai.djl.training.ParameterStore
import ai.djl.training.dataset.ArrayDataset
import ai.djl.util.PairList
import dev.anneal.config.InvalidConfigException
import dev.anneal.optim.Execution
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Duration
import dev.anneal.support.GradientGenerator
import dev.anneal.support.bits
import dev.anneal.support.evaluate
import dev.anneal.support.replayAverage
import dev.anneal.support.stepGradients
import dev.anneal.support.threeParameters
import dev.anneal.train.BatchNormStats
import dev.anneal.train.HalfPrecision
import dev.anneal.train.Pipeline
import dev.anneal.train.TrainingEvent
import dev.anneal.train.TrainingLoop
import dev.anneal.train.loss.Losses
import dev.anneal.train.metric.MeanLoss
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldContainAll
import io.kotest.matchers.collections.shouldNotContain
import io.kotest.matchers.doubles.plusOrMinus
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import kotlin.math.abs

/**
 * The stochastic weight average against its formula written out in float32 from the weights each
 * step leaves (AveragedModel's: the first averaging copies, the k-th adds (w - swa) / k), on both
 * paths; its start and period in updates or epochs; swapping it in; its validation with
 * batch-norm statistics recomputed; and those statistics on their own (BatchNormStats).
 */
class SwaSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    data class Case(val name: String, val start: Long, val every: Long, val frozen: IntRange = IntRange.EMPTY) {
        override fun toString() = name
    }

    val cases = listOf(
        Case("every update from the first", 1, 1),
        Case("from the 5th update, every 3rd", 5, 3),
        Case("from the 4th, every 2nd, fc.weight frozen for steps 3 to 12", 4, 2, 3..12),
    )

    for (execution in Execution.entries) {
        context("the average follows AveragedModel's formula on the ${execution.name.lowercase()} path") {
            withData(nameFn = { it.name }, cases) { case ->
                val spec = Optimizers.adam().lr(0.01).swa(Swa.EVERY_STEP.start(case.start).every(case.every)).build()
                replayAverage(manager, execution, spec, Optimizers.adam().lr(0.01).build(), Swa.STATE, case.frozen) { _, count, _, weights, previous ->
                    if (count >= case.start && (count - case.start) % case.every == 0L) {
                        val k = (count - case.start) / case.every + 1
                        if (k == 1L) weights else FloatArray(weights.size) { e -> previous!![e] + (weights[e] - previous[e]) / k.toFloat() }
                    } else {
                        null
                    }
                }
            }
        }
    }

    test("swapAverages puts in the averages that have started; the others keep their weights") {
        val params = threeParameters(manager)
        val spec = Optimizers.sgd().lr(0.1).swa(Swa.EVERY_STEP.start(3)).build()
        spec.compile(ParameterSet.of(params)).use { optimizer ->
            optimizer.keepsAverages() shouldBe true
            optimizer.weightAverage().get().name() shouldBe "swa"
            for (t in 1L..2L) {
                stepGradients(manager, params, t)
                optimizer.step()
                optimizer.zeroGrad()
            }
            optimizer.averagesStarted() shouldBe false
            val before = params.mapValues { it.value.toFloatArray().bits() }
            optimizer.swapAverages()
            params.mapValues { it.value.toFloatArray().bits() } shouldBe before // no average yet
            optimizer.swapAverages()
            for (t in 3L..6L) {
                params.getValue("late.bias").setRequiresGradient(t < 3) // never reaches its 3rd update
                stepGradients(manager, params.filterValues { it.hasGradient() }, t)
                optimizer.step()
                optimizer.zeroGrad()
            }
            optimizer.averagesStarted() shouldBe true
            val weights = params.mapValues { it.value.toFloatArray().bits() }
            val averages = optimizer.state().tensors().filterKeys { it.endsWith("/swa") }
                .mapKeys { it.key.removeSuffix("/swa") }.mapValues { it.value.toFloatArray().bits() }
            optimizer.swapAverages()
            params.getValue("conv.weight").toFloatArray().bits() shouldBe averages.getValue("conv.weight")
            params.getValue("conv.weight").toFloatArray().bits() shouldNotBe weights.getValue("conv.weight")
            params.getValue("late.bias").toFloatArray().bits() shouldBe weights.getValue("late.bias")
            shouldThrowExactly<IllegalStateException> { optimizer.step() }.message shouldContain "swapped into the model"
            optimizer.swapAverages()
            params.mapValues { it.value.toFloatArray().bits() } shouldBe weights
        }
    }

    test("start and every in epochs: refused until the steps per epoch are known, then in steps; a pipeline converts them") {
        val inEpochs = Optimizers.sgd().lr(0.1).swa(Swa.EVERY_STEP.start(Duration.epochs(2)).every(Duration.epochs(1))).build()
        inEpochs.countsEpochs() shouldBe true
        inEpochs.withStepsPerEpoch(4) shouldBe Optimizers.sgd().lr(0.1).swa(Swa.EVERY_STEP.start(8).every(4)).build()
        inEpochs.withStepsPerEpoch(4).countsEpochs() shouldBe false
        shouldThrowExactly<InvalidConfigException> { inEpochs.compile(ParameterSet.of(threeParameters(manager))) }.message shouldBe
            "optimizer.sgd has Swa.EVERY_STEP.start(Duration.epochs(2)).every(Duration.epochs(1)), which counts epochs; " +
            "give the steps per epoch first: spec.withStepsPerEpoch(n).compile(...), or run it in a pipeline, which knows them"
        NDManager.newBaseManager().use { m ->
            val (block, data) = batchNormNet(m, rows = 48, batch = 12) // 4 steps per epoch
            Pipeline.builder().model(block).data(data).loss(Losses.softmaxCrossEntropy()).epochs(3).optimizer(inEpochs)
                .build().use { pipeline ->
                    val optimizer = pipeline.optimizers().getValue(TrainingLoop.DEFAULT_OPTIMIZER)
                    optimizer.weightAverage().get() shouldBe Swa.EVERY_STEP.start(8).every(4)
                    val trainable = ParameterSet.of(block).trainable()
                    val atEpochEnds = mutableListOf<Map<String, FloatArray>>()
                    pipeline.loop().callback { e, _ ->
                        if (e is TrainingEvent.EpochEnd) atEpochEnds += trainable.associate { it.name() to it.array().toFloatArray() }
                    }.build().run()
                    optimizer.stepCount() shouldBe 12
                    // averaged at steps 8 and 12, the ends of epochs 2 and 3
                    val state = optimizer.state().tensors()
                    for (p in trainable) {
                        val second = atEpochEnds[1].getValue(p.name())
                        val third = atEpochEnds[2].getValue(p.name())
                        state.getValue("${p.name()}/swa").toFloatArray().bits() shouldBe
                            FloatArray(second.size) { second[it] + (third[it] - second[it]) / 2f }.bits()
                    }
                }
        }
    }

    test("validation reports swa.<metric> once the average has started, with batch-norm statistics recomputed for it") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = batchNormNet(m, rows = 64, batch = 8) // 8 steps per epoch
            val optimizer = Optimizers.sgd().lr(0.1).momentum(0.9).swa(Swa.EVERY_STEP.start(16).every(8)).build()
                .compile(ParameterSet.of(block))
            val loss = Losses.softmaxCrossEntropy()
            val validated = mutableListOf<TrainingEvent.Validated>()
            var beforeValidation: List<Any> = listOf()
            TrainingLoop.builder().block(block).loss(loss).optimizer(optimizer).train(data)
                .validation(data).metric(MeanLoss(loss)).epochs(3).manager(m).callback { e, _ ->
                    when (e) {
                        is TrainingEvent.BatchEnd -> beforeValidation = snapshot(block)
                        is TrainingEvent.Validated -> {
                            validated += e
                            snapshot(block) shouldBe beforeValidation // weights and statistics put back, bit for bit
                        }
                        else -> {}
                    }
                }.build().run()
            validated.size shouldBe 3
            validated[0].metrics.keys shouldNotContain "swa.loss" // the average starts at step 16, epoch 2's last
            validated[1].metrics.keys shouldContainAll listOf("loss", "swa.loss")
            validated[2].metrics.keys shouldContainAll listOf("loss", "swa.loss")
            // the figure is that of the averaged weights with update_bn's statistics, not with the live ones'
            val swaLoss = validated[2].metrics.getValue("swa.loss")
            optimizer.swapAverages()
            evaluate(block, data, m, MeanLoss(loss)) shouldNotBe swaLoss
            val kept = BatchNormStats.snapshot(block)
            BatchNormStats.recompute(block, data, m)
            evaluate(block, data, m, MeanLoss(loss)) shouldBe swaLoss
            kept.restore()
            optimizer.swapAverages()
            optimizer.averagesSwappedIn() shouldBe false
            optimizer.close()
        }
    }

    test("an average given twice replaces the first; EMA and SWA together are refused; lengths must be at least 1") {
        Optimizers.adam().swa(Swa.EVERY_STEP.start(5)).swa().build() shouldBe Optimizers.adam().swa().build()
        Optimizers.adam().swa().build().chain().stages().last() shouldBe Swa.EVERY_STEP
        Swa.EVERY_STEP.start(1).every(1) shouldBe Swa.EVERY_STEP
        Swa.EVERY_STEP.start(160).every(Duration.epochs(1)).toString() shouldBe "Swa.EVERY_STEP.start(160).every(Duration.epochs(1))"
        shouldThrowExactly<InvalidConfigException> { Optimizers.sgd().ema(0.99).swa().build() }.message shouldBe
            "optimizer.sgd keeps one average of the weights, got ema(...) and swa(...); swapAverages() and the " +
            "validation of the average need to know which one is meant: keep one"
        shouldThrowExactly<InvalidConfigException> { Swa.EVERY_STEP.start(0) }.message shouldBe
            "optimizer.swa.start must be at least 1 update, got 0"
        shouldThrowExactly<InvalidConfigException> { Swa.EVERY_STEP.every(-2) }.message shouldBe
            "optimizer.swa.every must be at least 1 update, got -2"
    }

    context("BatchNormStats: PyTorch's update_bn") {
        test("no batch norm: nothing to recompute") {
            NDManager.newBaseManager().use { m ->
                val block = SequentialBlock().add(Linear.builder().setUnits(2).build())
                block.initialize(m, DataType.FLOAT32, Shape(4, 3))
                BatchNormStats.present(block) shouldBe false
                BatchNormStats.recompute(block, ArrayDataset.Builder().setData(m.ones(Shape(4, 3))).setSampling(2, false).build(), m)
            }
        }

        test("a float16 model gets float16 inputs, and statistics those of its float32 twin to float16's precision") {
            NDManager.newBaseManager().use { m ->
                val (block, data) = batchNormNet(m, rows = 16, batch = 8)
                val (twin, _) = batchNormNet(m, rows = 16, batch = 8)
                HalfPrecision.cast(block, DataType.FLOAT16, m.device)
                BatchNormStats.recompute(block, data, m)
                BatchNormStats.recompute(twin, data, m)
                fun statistics(net: Block) = net.parameters.filter { it.key.contains("running") }
                    .associate { it.key to it.value.array.toType(DataType.FLOAT32, false).toFloatArray() }
                val half = statistics(block)
                val full = statistics(twin)
                half.keys shouldBe full.keys
                half.keys.size shouldBe 2
                for ((name, values) in full) {
                    val got = half.getValue(name)
                    values.indices.forEach { i -> got[i].toDouble() shouldBe (values[i].toDouble() plusOrMinus 2e-2 * (1 + abs(values[i]))) }
                }
            }
        }

        test("a running statistic of a layer other than BatchNorm is refused when the loop is built, not at its first validation") {
            NDManager.newBaseManager().use { m ->
                val block = SequentialBlock().add(Linear.builder().setUnits(3).build()).add(RunningStatistic())
                block.initialize(m, DataType.FLOAT32, Shape(8, 4))
                val x = m.create(GradientGenerator.values(9, 0, 0, 32 * 4, 1.0), Shape(32, 4))
                val data = ArrayDataset.Builder().setData(x).optLabels(m.create(FloatArray(32) { (it % 3).toFloat() }))
                    .setSampling(8, false).build()
                Optimizers.sgd().swa().build().compile(ParameterSet.of(block)).use { optimizer ->
                    fun loop() = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
                        .train(data).epochs(1).manager(m)
                    shouldThrowExactly<InvalidConfigException> { loop().validation(data).build() }.message shouldContain
                        "cannot recompute 02RunningStatistic_runningMean, a running statistic of RunningStatistic"
                    loop().build() // without validation nothing recomputes it
                    optimizer.stepCount() shouldBe 0
                }
            }
        }

        test("the layers' momenta are put back: training afterwards updates the statistics as before") {
            NDManager.newBaseManager().use { m ->
                val (block, data) = batchNormNet(m, rows = 16, batch = 8)
                val (twin, _) = batchNormNet(m, rows = 16, batch = 8)
                BatchNormStats.present(block) shouldBe true
                BatchNormStats.recompute(block, data, m)
                for (net in listOf(block, twin)) {
                    net.parameters.filter { it.key.contains("running") }.forEach { it.value.array.set(java.nio.FloatBuffer.wrap(FloatArray(8))) }
                }
                val x = m.create(GradientGenerator.values(3, 1, 0, 8 * 4, 1.0), Shape(8, 4))
                block.forward(ParameterStore(m, false), NDList(x), true)
                twin.forward(ParameterStore(m, false), NDList(x), true)
                snapshot(block) shouldBe snapshot(twin)
            }
        }

        test("a layer called twice in a pass counts each call, as num_batches_tracked does") {
            NDManager.newBaseManager().use { m ->
                val bn = BatchNorm.builder().build()
                val block = SequentialBlock().add(bn).add(bn)
                block.initialize(m, DataType.FLOAT32, Shape(16, 3))
                val x = m.create(GradientGenerator.values(4, 1, 0, 16 * 3, 3.0), Shape(16, 3)).add(1f)
                BatchNormStats.recompute(block, ArrayDataset.Builder().setData(x).setSampling(16, false).build(), m)
                // the first call sees x; the second its normalised output: mean 0, unbiased variance 16/15 (less eps's share)
                val mean = x.mean(intArrayOf(0)).toFloatArray()
                val variance = x.sub(x.mean(intArrayOf(0))).pow(2).sum(intArrayOf(0)).div(15f).toFloatArray()
                val running = block.parameters.filter { it.key.endsWith("runningMean") }.first().value.array.toFloatArray()
                val runningVar = block.parameters.filter { it.key.endsWith("runningVar") }.first().value.array.toFloatArray()
                for (c in 0 until 3) {
                    running[c].toDouble() shouldBe (mean[c] / 2.0 plusOrMinus 1e-5)
                    // y = (x - mean) / sqrt(vb + eps), vb the biased variance: its unbiased variance is 16/15 * vb / (vb + eps)
                    val biased = variance[c] * 15.0 / 16
                    runningVar[c].toDouble() shouldBe ((variance[c] + 16.0 / 15 * biased / (biased + 1e-5)) / 2 plusOrMinus 1e-5)
                }
            }
        }
    }
})

/** Linear -> BatchNorm -> ReLU -> Linear over 4 inputs and 3 classes, with data of [rows] rows in batches of [batch]. */
private fun batchNormNet(m: NDManager, rows: Int, batch: Int): Pair<Block, ArrayDataset> {
    val block = SequentialBlock()
        .add(Linear.builder().setUnits(8).optBias(false).build())
        .add(BatchNorm.builder().build())
        .add(Activation.reluBlock())
        .add(Linear.builder().setUnits(3).build())
    block.initialize(m, DataType.FLOAT32, Shape(batch.toLong(), 4))
    block.parameters.forEachIndexed { i, p ->
        if (!p.key.contains("running")) {
            val array = p.value.array
            array.set(java.nio.FloatBuffer.wrap(GradientGenerator.values(7, 0, i, array.size().toInt(), 1.0)))
        }
    }
    val x = m.create(GradientGenerator.values(9, 0, 0, rows * 4, 2.0), Shape(rows.toLong(), 4))
    val y = m.create(FloatArray(rows) { (it % 3).toFloat() })
    return block to ArrayDataset.Builder().setData(x).optLabels(y).setSampling(batch, false).build()
}

/** Every parameter of [block], running statistics included, as bits. */
private fun snapshot(block: Block): List<Any> = block.parameters.map { it.key to it.value.array.toFloatArray().bits() }

/** A layer that keeps a running mean but is no BatchNorm: its update rule is unknown to BatchNormStats. */
private class RunningStatistic : AbstractBlock() {
    init {
        addParameter(Parameter.builder().setName("runningMean").setType(Parameter.Type.RUNNING_MEAN).optShape(Shape(3)).build())
    }

    override fun forwardInternal(store: ParameterStore, inputs: NDList, training: Boolean, params: PairList<String, Any>?) = inputs

    override fun getOutputShapes(inputShapes: Array<Shape>): Array<Shape> = inputShapes
}
