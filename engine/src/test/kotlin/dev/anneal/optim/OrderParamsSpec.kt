package dev.anneal.optim

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import dev.anneal.config.InvalidConfigException
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.support.bits
import dev.anneal.support.parameters
import dev.anneal.support.stepGradients
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain

/**
 * MindSpore's `order_params`: the optimizer takes its parameters in the order given, across
 * groups, for its state as for its updates, and the order must name every trainable parameter
 * once; an update is the same, parameter by parameter, as without an order.
 */
class OrderParamsSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    val shapes = linkedMapOf("conv.weight" to Shape(2, 3, 3), "conv.bias" to Shape(2), "fc.weight" to Shape(4, 5), "fc.bias" to Shape(4))
    val order = listOf("fc.bias", "conv.weight", "fc.weight", "conv.bias")

    /** Adam with the biases in a group of their own, so that the order interleaves two groups. */
    fun spec(ordered: Boolean): OptimizerSpec<*> {
        val builder = Optimizers.adamW().lr(0.01).group("bias", Selector.nameContains("bias")) { it.lr(0.003) }
        if (ordered) builder.orderParams(order)
        return builder.build()
    }

    fun run(ordered: Boolean, execution: Execution): Pair<Map<String, List<Int>>, List<String>> {
        val arrays = parameters(manager, shapes)
        spec(ordered).compile(ParameterSet.of(arrays), execution).use { optimizer ->
            for (t in 1L..5L) {
                stepGradients(manager, arrays, t)
                optimizer.step()
                optimizer.zeroGrad()
            }
            return arrays.mapValues { it.value.toFloatArray().bits() } to optimizer.state().updates().keys.toList()
        }
    }

    test("the state follows the order across groups, and every parameter ends as it would without one, on both paths") {
        for (execution in listOf(Execution.FUSED, Execution.GENERIC)) {
            withClue(execution) {
                val (ordered, orderedKeys) = run(true, execution)
                val (plain, plainKeys) = run(false, execution)
                orderedKeys shouldContainExactly order
                plainKeys shouldContainExactly listOf("conv.weight", "fc.weight", "conv.bias", "fc.bias")
                ordered shouldBe plain
            }
        }
    }

    test("the state tensors and a checkpoint's entries come in the order too") {
        val arrays = parameters(manager, shapes)
        spec(true).compile(ParameterSet.of(arrays)).use { optimizer ->
            optimizer.state().tensors().keys.map { it.substringBeforeLast('/') }.distinct() shouldContainExactly order
        }
    }

    test("an order that is not every trainable parameter once is refused, each problem by its place") {
        val arrays: Map<String, NDArray> = parameters(manager, shapes)
        arrays.getValue("conv.bias").setRequiresGradient(false)
        val e = shouldThrow<InvalidConfigException> {
            Optimizers.sgd().lr(0.1).orderParams("fc.weight", "nope", "conv.bias", "fc.weight").build()
                .compile(ParameterSet.of(arrays))
        }
        e.message shouldContain "orderParams[1] is \"nope\", which is no parameter of the model"
        e.message shouldContain "orderParams[2] is \"conv.bias\", which is frozen"
        e.message shouldContain "orderParams[3] is \"fc.weight\" again"
        e.message shouldContain "leaves out the trainable parameters [conv.weight, fc.bias]"
    }
})
