package dev.anneal.optim

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import dev.anneal.grad.Ema
import dev.anneal.param.ParameterSet
import dev.anneal.support.GradientGenerator
import dev.anneal.support.backward
import dev.anneal.support.parameters
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe

/**
 * The row-sparse rules (SparseAdam, LazyAdam) leave every row whose gradient is all zero exactly
 * as it was, weights and moments, while the rows with a gradient move; a weight average after the
 * rule still follows every row. All three paths, rows short and too long for the fused blocks,
 * vectors (each element a row) and scalars.
 */
class TouchedRowsSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    val shapes = linkedMapOf(
        "embed.weight" to Shape(8, 5), "vec" to Shape(6), "scalar" to Shape(), "table" to Shape(3, 4, 2),
    )
    // A row longer than the fused path's blocks sends its group to the generic path.
    val long = linkedMapOf("long.weight" to Shape(2, (1 shl 18) + 3), "embed.weight" to Shape(8, 5))

    /** Row r of parameter p has a gradient at step t when (t + r + p) is a multiple of 3; a scalar every third step. */
    fun touched(t: Long, p: Int, row: Int) = (t + row + p) % 3 == 0L

    data class Case(val name: String, val spec: OptimizerSpec<*>, val shapes: Map<String, Shape>)
    val cases = listOf(
        Case("SparseAdam", Optimizers.sparseAdam().lr(0.01).build(), shapes),
        Case("LazyAdam with weight decay, Nesterov and an average of the weights",
            Optimizers.lazyAdam().lr(0.01).weightDecay(0.1).nesterov(true).ema(0.5).build(), shapes),
        Case("SparseAdam with maximize, a row too long for the fused blocks",
            Optimizers.sparseAdam().lr(0.01).maximize(true).build(), long),
    )

    for (execution in Execution.entries) {
        context("untouched rows keep their weights and moments bit for bit on the ${execution.name.lowercase()} path") {
            withData(nameFn = { it.name }, cases) { case ->
                val params = parameters(manager, case.shapes, seed = 7)
                case.spec.compile(ParameterSet.of(params), execution).use { optimizer ->
                    var moved = 0
                    var averaged = 0
                    for (t in 1L..6L) {
                        val before = params.mapValues { it.value.toFloatArray() }
                        val stateBefore = optimizer.state().tensors().mapValues { it.value.toFloatArray() }
                        val gradients = params.entries.withIndex().associate { (p, entry) ->
                            val w = entry.value
                            val rowLength = if (w.shape.dimension() == 0) 1 else (w.shape.size() / w.shape[0]).toInt()
                            val g = GradientGenerator.values(13, t, p, w.shape.size().toInt(), 1.0)
                            for (i in g.indices) if (!touched(t, p, i / rowLength)) g[i] = 0f
                            w to g
                        }
                        backward(manager, gradients)
                        optimizer.step()
                        optimizer.zeroGrad()
                        val state = optimizer.state().tensors()
                        params.entries.forEachIndexed { p, (name, w) ->
                            val rowLength = if (w.shape.dimension() == 0) 1 else (w.shape.size() / w.shape[0]).toInt()
                            val after = w.toFloatArray()
                            val arrays = listOf(name to (before.getValue(name) to after)) +
                                state.keys.filter { it.startsWith("$name/") }.map { key ->
                                    key to (stateBefore.getValue(key) to state.getValue(key).toFloatArray())
                                }
                            for ((label, pair) in arrays) {
                                val (old, new) = pair
                                for (i in old.indices) {
                                    val same = old[i].toRawBits() == new[i].toRawBits()
                                    if (touched(t, p, i / rowLength)) {
                                        if (!same && label == name) moved++
                                    } else if (label.endsWith("/" + Ema.STATE)) {
                                        if (!same) averaged++
                                    } else {
                                        withClue("$label[$i] at step $t") { new[i].toRawBits() shouldBe old[i].toRawBits() }
                                    }
                                }
                            }
                        }
                    }
                    (moved > 0) shouldBe true
                    (averaged > 0) shouldBe case.name.contains("average")
                }
            }
        }
    }
})
