package dev.anneal.optim

import ai.djl.ndarray.NDArray
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
import dev.anneal.grad.NonFinite
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.schedule.Schedule
import dev.anneal.schedule.Schedules
import dev.anneal.support.GradientGenerator
import dev.anneal.support.backward
import dev.anneal.train.SupervisedStep
import dev.anneal.train.TrainingLoop
import dev.anneal.train.loss.Losses
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.shouldBeLessThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain

/**
 * What L-BFGS refuses, and that a refusal changes nothing: a step without the closure, a
 * non-finite first evaluation, settings it cannot honour (tools, loss scaling, groups with other
 * values, a group added later, mixed or half-precision types), and a saved state whose counters
 * no run leaves.
 */
class LbfgsSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    fun params(type: DataType = DataType.FLOAT32) = linkedMapOf(
        "a" to manager.create(floatArrayOf(-1.2f, 1f, 0.5f, 0.3f), Shape(2, 2)).toType(type, false).also { it.setRequiresGradient(true) },
        "b" to manager.create(floatArrayOf(0.7f, -0.4f)).toType(type, false).also { it.setRequiresGradient(true) })

    /** Parameters and state, every value widened to float64, as bits. */
    fun snapshot(optimizer: Optimizer<*>, arrays: Map<String, NDArray>): List<Any> = listOf(
        arrays.mapValues { it.value.toType(DataType.FLOAT64, false).toDoubleArray().map(Double::toRawBits) },
        optimizer.state().tensors().mapValues { it.value.toType(DataType.FLOAT64, false).toDoubleArray().map(Double::toRawBits) },
        optimizer.state().updates(), optimizer.stepCount())

    test("a step without the closure is refused, saying how to call it, and changes nothing") {
        val arrays = params()
        Optimizers.lbfgs().build().compile(ParameterSet.of(arrays)).use { optimizer ->
            optimizer.step(rosenbrockClosure(optimizer, arrays))
            val before = snapshot(optimizer, arrays)
            val e = shouldThrow<IllegalStateException> { optimizer.step() }
            e.message shouldContain "step(closure)"
            snapshot(optimizer, arrays) shouldBe before
        }
    }

    test("a first evaluation with a NaN loss or an infinite gradient is refused, naming it, and changes nothing") {
        val arrays = params()
        Optimizers.lbfgs().strongWolfe(true).build().compile(ParameterSet.of(arrays)).use { optimizer ->
            val rosenbrock = rosenbrockClosure(optimizer, arrays)
            repeat(2) { optimizer.step(rosenbrock) }
            val before = snapshot(optimizer, arrays)
            shouldThrow<ArithmeticException> { optimizer.step { rosenbrock(); Double.NaN } }.message shouldContain "NaN"
            snapshot(optimizer, arrays) shouldBe before
            val e = shouldThrow<ArithmeticException> {
                optimizer.step {
                    optimizer.zeroGrad()
                    backward(manager, mapOf(arrays.getValue("a") to floatArrayOf(1f, 1f, 1f, 1f),
                        arrays.getValue("b") to floatArrayOf(Float.POSITIVE_INFINITY, 0f)))
                    1.0
                }
            }
            e.message shouldContain "b (1 of 2 values)"
            snapshot(optimizer, arrays) shouldBe before
            optimizer.step(rosenbrock)
            optimizer.stepCount() shouldBe 3
        }
    }

    test("settings L-BFGS cannot honour are refused when compiled, each by name") {
        val arrays = params()
        fun refusal(spec: OptimizerSpec<*>) = shouldThrow<InvalidConfigException> { spec.compile(ParameterSet.of(arrays)) }.message!!
        refusal(Optimizers.lbfgs().clipGradNorm(1.0).build()) shouldContain "optimizer.lbfgs.stages"
        refusal(Optimizers.lbfgs().lossScale(LossScale.fixed(128.0, true)).build()) shouldContain "optimizer.lbfgs.lossScale"
        refusal(Optimizers.lbfgs().onNonFinite(NonFinite.SKIP).build()) shouldContain "optimizer.lbfgs.onNonFinite"
        refusal(Optimizers.lbfgs().group("slow", Selector.name("b")) { it.lr(0.1) }.build()) shouldContain
            "one set of values for all parameters"
        // Found by the checks that run before anything is allocated, as every selection problem is.
        shouldThrow<InvalidConfigException> {
            Optimizers.lbfgs().clipGradNorm(1.0).build().checkOver(ParameterSet.of(arrays))
        }.message shouldContain "optimizer.lbfgs.stages"
        // Groups with the same values are one set of values.
        Optimizers.lbfgs().group("same", Selector.name("b")) { it.lr(1.0) }.build().compile(ParameterSet.of(arrays)).close()
        val mixed = linkedMapOf("a" to params().getValue("a"), "b" to params(DataType.FLOAT64).getValue("b"))
        shouldThrow<InvalidConfigException> { Optimizers.lbfgs().build().compile(ParameterSet.of(mixed)) }
            .message shouldContain "parameters[b]"
        val half = params(DataType.FLOAT16)
        shouldThrow<InvalidConfigException> { Optimizers.lbfgs().build().compile(ParameterSet.of(half)) }
            .message shouldContain "float32 or float64"
        shouldThrow<InvalidConfigException> { Optimizers.lbfgs().historySize(2.5).build() }.message shouldContain "historySize"
        shouldThrow<InvalidConfigException> { Optimizers.lbfgs().maxIter(0.0).build() }.message shouldContain "maxIter"
        shouldThrow<InvalidConfigException> { Optimizers.lbfgs().historySize(10_001.0).build() }.message shouldContain "up to 10000"
        shouldThrow<InvalidConfigException> { DjlOptimizer.of(Optimizers.lbfgs().build(), SequentialBlock()) }
            .message shouldContain "closure"
    }

    test("a scheduled maxIter must be a whole number at every step: a fractional one refuses the step, naming it") {
        val arrays = params()
        val maxIter = Schedules.join(listOf(Schedule.constant(2.0), Schedule.constant(2.5)), 1)
        Optimizers.lbfgs().maxIter(maxIter).build().compile(ParameterSet.of(arrays)).use { optimizer ->
            val rosenbrock = rosenbrockClosure(optimizer, arrays)
            optimizer.step(rosenbrock)
            val before = snapshot(optimizer, arrays)
            shouldThrow<InvalidConfigException> { optimizer.step(rosenbrock) }.message shouldContain "maxIter"
            snapshot(optimizer, arrays) shouldBe before
        }
    }

    test("a closure that fails within a step leaves the history and counters agreeing with the moves made, and the next step runs") {
        val arrays = params()
        Optimizers.lbfgs().maxIter(3.0).maxEval(10.0).build().compile(ParameterSet.of(arrays)).use { optimizer ->
            val rosenbrock = rosenbrockClosure(optimizer, arrays)
            var calls = 0
            shouldThrow<IllegalStateException> {
                optimizer.step { if (++calls == 2) throw IllegalStateException("data ran out") else rosenbrock() }
            }.message shouldContain "data ran out"
            val state = optimizer.state().tensors()
            state.getValue("n_iter").getDouble() shouldBe 1.0
            state.getValue("func_evals").getDouble() shouldBe 1.0
            optimizer.stepCount() shouldBe 0
            optimizer.step(rosenbrock)
            optimizer.stepCount() shouldBe 1
            optimizer.state().tensors().getValue("n_iter").getDouble() shouldBe 4.0
        }
    }

    test("a group added later is refused, and the optimizer goes on as it was") {
        val arrays = params()
        arrays.getValue("b").setRequiresGradient(false)
        Optimizers.lbfgs().build().compile(ParameterSet.of(arrays)).use { optimizer ->
            arrays.getValue("b").setRequiresGradient(true)
            shouldThrow<InvalidConfigException> { optimizer.addGroup("rest", Selector.name("b")) { } }.message shouldContain "compile a new one"
            arrays.getValue("b").setRequiresGradient(false)
            val a = arrays.getValue("a").toFloatArray()
            optimizer.step(rosenbrockClosure(optimizer, linkedMapOf("a" to arrays.getValue("a"))))
            arrays.getValue("a").toFloatArray().toList() shouldNotBe a.toList()
        }
    }

    test("a saved state whose counters no run leaves is refused by name, and nothing changes") {
        val arrays = params()
        Optimizers.lbfgs().historySize(4.0).build().compile(ParameterSet.of(arrays)).use { optimizer ->
            val rosenbrock = rosenbrockClosure(optimizer, arrays)
            repeat(3) { optimizer.step(rosenbrock) }
            val before = snapshot(optimizer, arrays)
            for ((key, value, says) in listOf(Triple("history_length", 5.0, "from 0 to 4"), Triple("history_start", -1.0, "from 0 to 3"),
                    Triple("n_iter", 2.5, "whole number"), Triple("func_evals", 1e300, "to 9007199254740992"))) {
                val saved = optimizer.state()
                val tensors = LinkedHashMap(saved.tensors().mapValues { it.value.duplicate() })
                tensors[key] = manager.create(value)
                val crafted = OptimizerState(saved.optimizer(), saved.step(), saved.skippedSteps(), saved.lossScale(), saved.updates(), tensors)
                shouldThrow<InvalidConfigException> { optimizer.loadState(crafted) }.message shouldContain "tensors[\"$key\"]"
                shouldThrow<InvalidConfigException> { optimizer.loadState(crafted) }.message shouldContain says
                snapshot(optimizer, arrays) shouldBe before
            }
        }
    }

    /** An MLP (4 -> 8 -> tanh -> 3) with fixed weights, and 24 fixed samples read as one batch. */
    fun mlp(m: NDManager): SequentialBlock {
        val block = SequentialBlock().add(Linear.builder().setUnits(8).build()).add(Activation.tanhBlock())
            .add(Linear.builder().setUnits(3).build())
        block.initialize(m, DataType.FLOAT32, Shape(24, 4))
        block.parameters.values().forEachIndexed { i, p ->
            m.create(GradientGenerator.values(5, 0, i, p.array.shape.size().toInt(), 0.5), p.array.shape).copyTo(p.array)
        }
        return block
    }

    fun data(m: NDManager) = ArrayDataset.Builder()
        .setData(m.create(GradientGenerator.values(9, 0, 0, 24 * 4, 1.0), Shape(24, 4)))
        .optLabels(m.create(FloatArray(24) { (it % 3).toFloat() })).setSampling(24, false).build()

    test("the training loop steps L-BFGS through a closure over each batch, as a step by hand does, and refuses accumulation") {
        NDManager.newBaseManager().use { m ->
            val spec = Optimizers.lbfgs().strongWolfe(true).maxIter(5.0).build()
            val byHand = mlp(m)
            val losses = mutableListOf<Double>()
            spec.compile(ParameterSet.of(byHand)).use { optimizer ->
                val store = ParameterStore(m, false)
                repeat(3) {
                    data(m).getData(m).forEach { batch ->
                        batch.use {
                            losses += optimizer.step {
                                optimizer.zeroGrad()
                                SupervisedStep.lossAndGradients(byHand, store, Losses.softmaxCrossEntropy(), it).toDouble()
                            }
                        }
                    }
                }
            }
            losses.last() shouldBeLessThan 0.7 * losses.first()
            val looped = mlp(m)
            val result = TrainingLoop.builder().block(looped).loss(Losses.softmaxCrossEntropy()).train(data(m)).epochs(3)
                .manager(m).optimizer(spec.compile(ParameterSet.of(looped))).build().run()
            result.steps shouldBe 3
            looped.parameters.values().map { it.array.toFloatArray().toList() } shouldBe
                byHand.parameters.values().map { it.array.toFloatArray().toList() }
            val accumulating = mlp(m)
            shouldThrow<IllegalStateException> {
                TrainingLoop.builder().block(accumulating).loss(Losses.softmaxCrossEntropy()).train(data(m)).epochs(1)
                    .manager(m).optimizer(spec.compile(ParameterSet.of(accumulating))).accumulate(2).build().run()
            }.message shouldContain "no accumulation"
        }
    }

    test("a parameter the closure gives no gradient stays where it is on a first step, whose direction is -g") {
        val arrays = params()
        Optimizers.lbfgs().maxIter(1.0).build().compile(ParameterSet.of(arrays)).use { optimizer ->
            val b = arrays.getValue("b").toFloatArray()
            // Only a's gradient: the first direction is -g, zero for b, so b stays.
            optimizer.step {
                optimizer.zeroGrad()
                backward(manager, mapOf(arrays.getValue("a") to floatArrayOf(1f, -2f, 0.5f, 1f)))
                1.0
            }
            arrays.getValue("b").toFloatArray().toList() shouldBe b.toList()
            arrays.getValue("a").toFloatArray().toList() shouldBe listOf(-1.2f - 1f / 4.5f, 1f + 2f / 4.5f, 0.5f - 0.5f / 4.5f, 0.3f - 1f / 4.5f)
        }
    }
})
