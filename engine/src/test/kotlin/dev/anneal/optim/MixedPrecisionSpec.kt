package dev.anneal.optim

import ai.djl.Device
import ai.djl.engine.Engine
import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDList
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.Activation
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.dataset.ArrayDataset
import dev.anneal.config.InvalidConfigException
import dev.anneal.grad.LossScale
import dev.anneal.param.ParameterSet
import dev.anneal.support.GradientGenerator
import dev.anneal.support.bits
import dev.anneal.support.stepSnapshot
import dev.anneal.train.HalfPrecision
import dev.anneal.train.TrainingEvent
import dev.anneal.train.TrainingLoop
import dev.anneal.train.loss.Losses
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainAll
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain

/**
 * Float16 parameters with float32 masters: the update runs on the master with the gradient
 * widened, exactly as a float32 run on the same gradients, and the parameter is the master
 * rounded to float16; state and masters are float32 and saved; a step dropped for an overflow
 * in float16 changes nothing; bfloat16 on the CPU is refused before a bfloat16 tensor exists.
 */
class MixedPrecisionSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    fun half(values: FloatArray, shape: Shape): NDArray = manager.create(values, shape).toType(DataType.FLOAT16, false)

    test("a float16 parameter's master follows a float32 run on the same gradients bit for bit; the weight is it rounded") {
        val shape = Shape(4, 5)
        val init = GradientGenerator.values(5, 0, 0, 20, 1.0)
        val w16 = half(init, shape).also { it.setRequiresGradient(true) }
        val w32 = w16.toType(DataType.FLOAT32, true).also { it.setRequiresGradient(true) }
        val spec = Optimizers.adamW().lr(0.01).build()
        val mixed = spec.compile(ParameterSet.of(mapOf("w" to w16)))
        val plain = spec.compile(ParameterSet.of(mapOf("w" to w32)))
        mixed.executionOf("default") shouldBe Execution.GENERIC
        for (t in 1L..20L) {
            val g16 = half(GradientGenerator.values(9, t, 0, 20, 1.0), shape)
            for ((w, g) in listOf(w16 to g16, w32 to g16.toType(DataType.FLOAT32, false))) {
                Engine.getInstance().newGradientCollector().use { it.backward(w.mul(g).sum()) }
            }
            mixed.step()
            plain.step()
            mixed.zeroGrad()
            plain.zeroGrad()
            val state = mixed.state()
            withClue("step $t") {
                state.tensors().getValue("w/master").toFloatArray().bits() shouldBe w32.toFloatArray().bits()
                w16.toFloatArray().bits() shouldBe w32.toType(DataType.FLOAT16, false).toFloatArray().bits()
                state.tensors().getValue("w/exp_avg").dataType shouldBe DataType.FLOAT32
                state.tensors().getValue("w/exp_avg").toFloatArray().bits() shouldBe
                    plain.state().tensors().getValue("w/exp_avg").toFloatArray().bits()
            }
        }
    }

    test("an overflow in float16 under a dynamic loss scale drops the step: weights, masters, state and counter stay") {
        val shape = Shape(3, 4)
        val w = half(GradientGenerator.values(5, 0, 0, 12, 1.0), shape).also { it.setRequiresGradient(true) }
        val params = mapOf("w" to w)
        Optimizers.adam().lossScale(LossScale.dynamic()).build().compile(ParameterSet.of(params)).use { optimizer ->
            /** The gradient a float16 backward of the loss times [scale] leaves: infinite past 65504. */
            fun backward(scale: Float, magnitude: Double) = Engine.getInstance().newGradientCollector().use {
                val g = half(GradientGenerator.values(9, 1, 0, 12, magnitude).map { v -> v * scale }.toFloatArray(), shape)
                it.backward(w.mul(g).sum())
            }
            backward(optimizer.lossScale(), 1e-6)
            optimizer.step()
            optimizer.zeroGrad()
            optimizer.stepCount() shouldBe 1
            backward(optimizer.lossScale(), 4.0) // |g| up to 4 times 65504: infinite in float16
            val before = stepSnapshot(optimizer, params)
            optimizer.step()
            stepSnapshot(optimizer, params) shouldBe before
            optimizer.skippedSteps() shouldBe 1
            optimizer.lossScale() shouldBe 32768f
        }
    }

    test("the loop runs a float16 model with float16 inputs and a float32 loss, and learns") {
        NDManager.newBaseManager().use { m ->
            val block = SequentialBlock().add(Linear.builder().setUnits(16).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(3).build())
            block.initialize(m, DataType.FLOAT32, Shape(8, 4))
            HalfPrecision.cast(block, DataType.FLOAT16, Device.cpu())
            block.parameters.values().forEach { it.array.dataType shouldBe DataType.FLOAT16 }
            val x = m.create(GradientGenerator.values(9, 0, 0, 64 * 4, 1.0), Shape(64, 4))
            val y = m.create(FloatArray(64) { (if (x.get(it.toLong(), 0).getFloat() > 0) 1 else 0).toFloat() })
            val data = ArrayDataset.Builder().setData(x).optLabels(y).setSampling(8, false).build()
            val optimizer = Optimizers.adam().lr(0.01).lossScale(LossScale.dynamic()).build().compile(ParameterSet.of(block))
            val losses = mutableListOf<Double>()
            val result = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
                .train(data).validation(data).epochs(20).manager(m)
                .callback { e, _ -> if (e is TrainingEvent.EpochEnd) losses += e.meanLoss }.build().run()
            withClue("mean losses $losses") { (losses.last() < losses.first() / 2) shouldBe true }
            (result.validationAccuracy > 0.8) shouldBe true
            optimizer.state().tensors().keys.count { it.endsWith("/master") } shouldBeGreaterThan 0
            block.parameters.values().forEach { it.array.dataType shouldBe DataType.FLOAT16 }
        }
    }

    test("bfloat16 on the CPU is refused before any bfloat16 tensor exists, and the JVM lives") {
        val block = SequentialBlock().add(Linear.builder().setUnits(3).build())
        block.initialize(manager, DataType.FLOAT32, Shape(2, 4))
        val e = shouldThrowExactly<InvalidConfigException> { HalfPrecision.cast(block, DataType.BFLOAT16, Device.cpu()) }
        e.message shouldContain "precision BFLOAT16 is not available on the CPU"
        block.parameters.values().forEach { it.array.dataType shouldBe DataType.FLOAT32 }
        block.forward(ai.djl.training.ParameterStore(manager, false), NDList(manager.ones(Shape(2, 4))), false).singletonOrThrow()
            .dataType shouldBe DataType.FLOAT32
    }
    test("a pipeline in FLOAT16 casts the model before compiling, so its optimizer keeps masters, and not when the spec is refused; BFLOAT16 on the CPU is refused by path") {
        NDManager.newBaseManager().use { m ->
            val block = SequentialBlock().add(Linear.builder().setUnits(3).build())
            block.initialize(m, DataType.FLOAT32, Shape(8, 4))
            val x = m.create(GradientGenerator.values(9, 0, 0, 32 * 4, 1.0), Shape(32, 4))
            val data = ArrayDataset.Builder().setData(x).optLabels(m.create(FloatArray(32) { (it % 3).toFloat() }))
                .setSampling(8, false).build()
            fun pipeline(precision: DataType) = dev.anneal.train.Pipeline.builder().model(block).data(data)
                .loss(Losses.softmaxCrossEntropy()).optimizer(Optimizers.sgd().lossScale(LossScale.dynamic()).build())
                .epochs(1).precision(precision)
            val e = shouldThrowExactly<InvalidConfigException> { pipeline(DataType.BFLOAT16).build() }
            e.violations().single().path() shouldBe "pipeline.precision"
            block.parameters.values().forEach { it.array.dataType shouldBe DataType.FLOAT32 }
            val refused = dev.anneal.train.Pipeline.builder().model(block).data(data).loss(Losses.softmaxCrossEntropy())
                .optimizer(Optimizers.sgd().group("none", dev.anneal.param.Selector.name("nothing")) { it.lr(0.1) }.build())
                .epochs(1).precision(DataType.FLOAT16).build()
            refused.use { shouldThrowExactly<InvalidConfigException> { it.optimizers() } }
            withClue("a refused compile leaves the model in float32") {
                block.parameters.values().forEach { it.array.dataType shouldBe DataType.FLOAT32 }
            }
            pipeline(DataType.FLOAT16).build().use { run ->
                run.run().steps() shouldBe 4
                block.parameters.values().forEach { it.array.dataType shouldBe DataType.FLOAT16 }
                run.optimizers().getValue(TrainingLoop.DEFAULT_OPTIMIZER).state().tensors().keys shouldContainAll
                    listOf("01Linear_weight/master", "01Linear_bias/master")
            }
        }
    }
})
