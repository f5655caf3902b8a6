package dev.anneal.grad

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.dataset.ArrayDataset
import dev.anneal.optim.Execution
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Schedule
import dev.anneal.support.GradientGenerator
import dev.anneal.support.bits
import dev.anneal.support.evaluate
import dev.anneal.support.replayAverage
import dev.anneal.support.stepGradients
import dev.anneal.support.threeParameters
import dev.anneal.train.TrainingEvent
import dev.anneal.train.TrainingLoop
import dev.anneal.train.loss.Losses
import dev.anneal.train.metric.MeanLoss
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldContainAll
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import kotlin.math.min
import kotlin.math.pow

/**
 * The average of the weights against its formula written out in float32 from the weights each
 * step leaves: update 1 copies them, then every n-th update `ema = ema * d + w * (1 - d)`, with
 * d the decay (scheduled, or warmed up as timm's ModelEmaV3). Both paths, bit for bit; the
 * weights themselves are those of the optimizer without the average.
 */
class EmaSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    /** The expected average after a tensor's [count]-th update, from [previous] and the new weights [w]. */
    fun expected(previous: FloatArray?, w: FloatArray, count: Long, decay: Double, every: Long, warmup: Boolean): FloatArray? {
        if (count == 1L) return w.copyOf()
        if (count % every != 0L) return previous
        val d = if (warmup) min(decay, 1 - count.toDouble().pow(-2.0 / 3.0)) else decay
        val keep = d.toFloat()
        val take = 1f - keep // Keras's 1 - ema_momentum, in float32
        return FloatArray(w.size) { previous!![it] * keep + w[it] * take }
    }

    data class Case(val name: String, val decay: Schedule, val every: Long, val warmup: Boolean, val frozen: IntRange = IntRange.EMPTY)

    val cases = listOf(
        Case("decay 0.9 every step", Schedule.constant(0.9), 1, false),
        Case("decay 0.99 every 3rd update", Schedule.constant(0.99), 3, false),
        Case("decay 0.999 warmed up", Schedule.constant(0.999), 1, true),
        Case("a scheduled decay", Schedule { t -> 0.5 + 0.4 * t / 30 }, 1, false),
        Case("fc.weight frozen for steps 5 to 12", Schedule.constant(0.8), 2, true, 5..12),
    )

    for (execution in Execution.entries) {
        context("the average follows its formula on the ${execution.name.lowercase()} path") {
            withData(nameFn = { it.name }, cases) { case ->
                val average = Ema.EVERY_STEP.every(case.every).let { if (case.warmup) it.withWarmup() else it }
                replayAverage(manager, execution, Optimizers.adam().lr(0.01).ema(average, case.decay).build(),
                    Optimizers.adam().lr(0.01).build(), Ema.STATE, case.frozen) { _, count, t, weights, previous ->
                    expected(previous, weights, count, case.decay.at(t), case.every, case.warmup)
                }
            }
        }
    }

    test("swapAverages puts the averages into the model and back, bit for bit; steps and state wait for it") {
        val params = threeParameters(manager)
        Optimizers.sgd().lr(0.1).ema(0.5).build().compile(ParameterSet.of(params)).use { optimizer ->
            for (t in 1L..3L) {
                stepGradients(manager, params, t)
                optimizer.step()
                optimizer.zeroGrad()
            }
            val weights = params.mapValues { it.value.toFloatArray().bits() }
            val averages = optimizer.state().tensors().filterKeys { it.endsWith("/ema") }
                .mapKeys { it.key.removeSuffix("/ema") }.mapValues { it.value.toFloatArray().bits() }
            averages shouldNotBe weights
            optimizer.swapAverages()
            optimizer.averagesSwappedIn() shouldBe true
            params.mapValues { it.value.toFloatArray().bits() } shouldBe averages
            shouldThrowExactly<IllegalStateException> { optimizer.step() }.message shouldContain "swapped into the model"
            shouldThrowExactly<IllegalStateException> { optimizer.state() }.message shouldContain "swapAverages() again"
            optimizer.swapAverages()
            params.mapValues { it.value.toFloatArray().bits() } shouldBe weights
            optimizer.state().tensors().filterKeys { it.endsWith("/ema") }.mapKeys { it.key.removeSuffix("/ema") }
                .mapValues { it.value.toFloatArray().bits() } shouldBe averages
        }
        Optimizers.sgd().build().compile(ParameterSet.of(threeParameters(manager))).use { optimizer ->
            optimizer.keepsAverages() shouldBe false
            shouldThrowExactly<IllegalStateException> { optimizer.swapAverages() }.message shouldContain "keeps no average"
        }
    }

    test("validation reports the metrics of the averaged weights too, and leaves the weights in place") {
        NDManager.newBaseManager().use { m ->
            val block = SequentialBlock().add(Linear.builder().setUnits(3).build())
            block.initialize(m, DataType.FLOAT32, Shape(8, 4))
            val x = m.create(GradientGenerator.values(9, 0, 0, 64 * 4, 1.0), Shape(64, 4))
            val y = m.create(FloatArray(64) { (it % 3).toFloat() })
            val data = ArrayDataset.Builder().setData(x).optLabels(y).setSampling(8, false).build()
            val optimizer = Optimizers.sgd().lr(0.1).ema(0.9).build().compile(ParameterSet.of(block))
            val loss = Losses.softmaxCrossEntropy()
            val validated = mutableListOf<TrainingEvent.Validated>()
            var beforeValidation: List<List<Int>> = listOf()
            fun weights() = block.parameters.values().map { it.array.toFloatArray().bits() }
            TrainingLoop.builder().block(block).loss(loss).optimizer(optimizer).train(data).validation(data)
                .metric(MeanLoss(loss)).epochs(2).manager(m).callback { e, _ ->
                    when (e) {
                        is TrainingEvent.BatchEnd -> beforeValidation = weights()
                        is TrainingEvent.Validated -> {
                            validated += e
                            weights() shouldBe beforeValidation // the weights are back in place, bit for bit
                        }
                        else -> {}
                    }
                }.build().run()
            validated.size shouldBe 2
            optimizer.averagesSwappedIn() shouldBe false
            optimizer.stepCount() shouldBe 16
            // each figure is that of its weights: the live ones, and the average swapped in
            val last = validated.last().metrics
            evaluate(block, data, m, MeanLoss(loss)) shouldBe last.getValue("loss")
            optimizer.swapAverages()
            evaluate(block, data, m, MeanLoss(loss)) shouldBe last.getValue("ema.loss")
            optimizer.swapAverages()
            last.getValue("ema.loss") shouldNotBe last.getValue("loss")
            optimizer.close()
        }
    }

    test("an average given twice replaces the first, and every must be at least 1") {
        Optimizers.adam().ema(0.9).ema(0.99).build() shouldBe Optimizers.adam().ema(0.99).build()
        Optimizers.adam().ema(0.9).build().chain().stages().last() shouldBe Ema.EVERY_STEP
        shouldThrowExactly<dev.anneal.config.InvalidConfigException> { Ema.EVERY_STEP.every(0) }.message shouldContain
            "optimizer.ema.every must be at least 1 update, got 0"
        shouldThrowExactly<dev.anneal.config.InvalidConfigException> { Optimizers.adam().ema(1.5).build() }.message shouldContain
            "emaDecay"
    }
})
