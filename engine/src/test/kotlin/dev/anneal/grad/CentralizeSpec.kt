package dev.anneal.grad

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import dev.anneal.optim.Execution
import dev.anneal.optim.OptimizerSpec
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.support.GradientGenerator
import dev.anneal.support.backward
import dev.anneal.support.bits
import dev.anneal.support.parameters
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe

/**
 * Gradient centralization against its formula written out here: the optimizer with
 * `centralizeGradients` and L2 decay must move the weights exactly as the same optimizer without
 * either, fed the gradient MindSpore's order gives, `center(g + wd * w)` for a selected parameter
 * of two or more dimensions and `g + wd * w` for any other, where each row r of a tensor (every
 * dimension but the first) loses `(float) (sum_j (double) x_rj / rowLength)`. Both paths, bit for
 * bit, weights and state, over several steps.
 */
class CentralizeSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    fun center(x: FloatArray, shape: Shape): FloatArray {
        if (x.isEmpty()) return x
        val rowLength = (shape.size() / shape[0]).toInt()
        val out = x.copyOf()
        for (r in 0 until shape[0].toInt()) {
            var sum = 0.0
            for (j in 0 until rowLength) sum += x[r * rowLength + j]
            val mean = (sum / rowLength).toFloat()
            for (j in 0 until rowLength) out[r * rowLength + j] = x[r * rowLength + j] - mean
        }
        return out
    }

    data class Case(
        val name: String,
        val shapes: Map<String, Shape>,
        val centralized: OptimizerSpec<*>,
        val plain: OptimizerSpec<*>,
        val weightDecay: Double,
        val selected: Set<String>,
    )

    val model = linkedMapOf(
        "conv.weight" to Shape(4, 3, 3, 3), "fc.weight" to Shape(5, 7), "wide.weight" to Shape(2, 3000),
        "fc.bias" to Shape(5), "empty.weight" to Shape(0, 4), "long.weight" to Shape(2, 40_000),
    )
    val cases = listOf(
        Case("adam with L2 decay, every parameter", model,
            Optimizers.adam().lr(0.01).weightDecay(0.1).centralizeGradients().build(),
            Optimizers.adam().lr(0.01).build(), 0.1, setOf("conv.weight", "fc.weight", "wide.weight", "empty.weight", "long.weight")),
        Case("momentum with L2 decay, only fc.weight (and fc.bias, which has one dimension)", model,
            Optimizers.sgd().lr(0.1).momentum(0.9).weightDecay(0.01)
                .centralizeGradients(Selector.nameContains("fc")).build(),
            Optimizers.sgd().lr(0.1).momentum(0.9).build(), 0.01, setOf("fc.weight")),
        Case("rows too long for the fused blocks: the generic path takes them", linkedMapOf(
            "huge.weight" to Shape(2, (1 shl 18) + 3), "fc.weight" to Shape(3, 4)),
            Optimizers.adamW().lr(0.01).centralizeGradients().build(),
            Optimizers.adamW().lr(0.01).build(), 0.0, setOf("huge.weight", "fc.weight")),
    )

    for (execution in Execution.entries) {
        context("the weights follow the written-out centralization on the ${execution.name.lowercase()} path") {
            withData(nameFn = { it.name }, cases) { case ->
                val a = parameters(manager, case.shapes, seed = 3)
                val b = parameters(manager, case.shapes, seed = 3)
                case.centralized.compile(ParameterSet.of(a), execution).use { withTool ->
                    case.plain.compile(ParameterSet.of(b), execution).use { fed ->
                        var changed = false
                        for (t in 1L..4L) {
                            val own = HashMap<NDArray, FloatArray>()
                            val given = HashMap<NDArray, FloatArray>()
                            a.entries.forEachIndexed { i, (name, w) ->
                                val g = GradientGenerator.values(11, t, i, w.shape.size().toInt(), 1.0)
                                val weights = w.toFloatArray()
                                val decayed = FloatArray(g.size) { Math.fma(weights[it], case.weightDecay.toFloat(), g[it]) }
                                val expected = if (name in case.selected) center(decayed, w.shape) else decayed
                                changed = changed || !expected.contentEquals(decayed)
                                own[w] = g
                                given[b.getValue(name)] = expected
                            }
                            backward(manager, own)
                            backward(manager, given)
                            withTool.step()
                            fed.step()
                            withTool.zeroGrad()
                            fed.zeroGrad()
                            for (name in a.keys) {
                                withClue("$name after step $t") {
                                    a.getValue(name).toFloatArray().bits() shouldBe b.getValue(name).toFloatArray().bits()
                                }
                            }
                            withTool.state().tensors().mapValues { it.value.toFloatArray().bits() } shouldBe
                                fed.state().tensors().mapValues { it.value.toFloatArray().bits() }
                        }
                        changed shouldBe true
                    }
                }
            }
        }
    }

    test("a one-dimensional parameter is never centralized, and the selection shows in the audit") {
        val params = parameters(manager, model, seed = 3)
        Optimizers.sgd().lr(0.1).centralizeGradients(Selector.nameContains("fc")).build()
            .compile(ParameterSet.of(params)).use { optimizer ->
                val active = optimizer.audit().associate { it.param() to it.values()["gradCentralization"] }
                active shouldBe mapOf("conv.weight" to false, "fc.weight" to true, "wide.weight" to false,
                    "fc.bias" to false, "empty.weight" to false, "long.weight" to false)
            }
    }

    test("centralization runs next to the update rule, after the optimizer's own L2 decay") {
        val spec = Optimizers.adam().clipGradNorm(1.0).centralizeGradients().build()
        spec.chain().stages().map { it.javaClass.simpleName } shouldBe
            listOf("ClipGradNorm", "Maximize", "L2Decay", "Centralize", "Adam")
        spec shouldNotBe Optimizers.adam().clipGradNorm(1.0).build()
        spec shouldBe Optimizers.adam().clipGradNorm(1.0).centralizeGradients(Selector.oneDimensional().not()).build()
    }
})
