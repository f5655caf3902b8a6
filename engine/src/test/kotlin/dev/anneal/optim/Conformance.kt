package dev.anneal.optim

import ai.djl.engine.Engine
import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.NDScope
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import dev.anneal.internal.FusedOps
import dev.anneal.support.GradientGenerator
import dev.anneal.support.bits
import kotlin.math.sqrt

/**
 * How an optimizer is run: the learning rate for the quadratic, and for Rosenbrock's function
 * (from (-1.2, 1), where it is 24.2) the rate, the steps and the value it must be below after them.
 * A layer-wise rule scales each tensor's step by the tensor's weight norm (LAMB, LARS, and
 * Adafactor's relative step), so a scalar cannot pass through zero, or only at a crawl: its
 * quadratic has the scalar's minimum on the side it starts. A rule for
 * matrices only (Muon) gets the same values as 2-D parameters. A rule with one set of values
 * over all parameters (L-BFGS, as PyTorch's; Prodigy's learning rate, which its shared distance
 * estimate reads) refuses two groups with different learning rates.
 */
data class ConformanceRow(val name: String, val quadraticLr: Double, val rosenbrockLr: Double, val rosenbrockSteps: Int,
                          val rosenbrockBelow: Double, val extra: Map<String, Any> = emptyMap(),
                          val layerWise: Boolean = false, val matrices: Boolean = false, val oneGroup: Boolean = false)

/** The table: a row for every optimizer of the engine. */
val conformanceRows = listOf(
    ConformanceRow("adabelief", 0.01, 0.03, 3000, 1e-3),
    // Adafactor's second moment forgets ever more slowly (rate t^-0.8): 2.3e-2 on Rosenbrock after
    // 5,000 steps, written out in torch.
    ConformanceRow("adafactor", 0.01, 0.01, 5000, 0.05, layerWise = true),
    ConformanceRow("adadelta", 1.0, 0.1, 5000, 0.05),
    ConformanceRow("adagrad", 0.1, 1.0, 5000, 1e-3),
    // AdEMAMix's slow average (beta3 0.9999) makes it slow at lr 0.01: still 1.3 % of the start at step 2,000.
    ConformanceRow("ademamix", 0.1, 0.1, 5000, 1e-3),
    ConformanceRow("adam", 0.01, 0.03, 3000, 1e-3),
    ConformanceRow("adamw", 0.01, 0.03, 5000, 1e-3),
    ConformanceRow("adamweightdecay", 0.01, 0.01, 5000, 1e-3),
    ConformanceRow("adamax", 0.01, 0.1, 3000, 1e-3),
    ConformanceRow("adan", 0.01, 3e-3, 3000, 1e-3),
    ConformanceRow("asgd", 0.01, 1e-3, 5000, 0.01),
    ConformanceRow("ftrl", 0.1, 0.3, 5000, 1e-3),
    // LAMB's steps are lr times each tensor's weight norm, so they do not shrink near the minimum:
    // written out in torch it circles Rosenbrock's within f ~ 1e-2 once there (by step 2,500 at lr 0.01).
    ConformanceRow("lamb", 3e-3, 0.01, 5000, 0.05, layerWise = true),
    ConformanceRow("lars", 0.1, 0.1, 3000, 1e-3, mapOf("momentum" to 0.9, "coefficient" to 0.01), layerWise = true),
    // Lion moves every coordinate by lr each step, so it circles the minimum at that distance.
    ConformanceRow("lion", 1e-3, 1e-3, 5000, 0.01),
    ConformanceRow("lazyadam", 0.01, 0.01, 5000, 1e-3),
    // One L-BFGS step runs up to maxIter iterations; a history of 10 keeps 10,000 steps quick.
    ConformanceRow("lbfgs", 1.0, 1.0, 10, 1e-6, mapOf("strongWolfe" to true, "historySize" to 10.0), oneGroup = true),
    ConformanceRow("mindsporeadam", 0.01, 0.01, 5000, 1e-3),
    ConformanceRow("momentum", 0.01, 3e-3, 1000, 1e-3, mapOf("momentum" to 0.9)),
    // Muon's orthogonalised steps keep their size, so it circles Rosenbrock's minimum at f ~ 2e-3.
    ConformanceRow("muon", 3e-3, 3e-3, 3000, 0.01, matrices = true),
    ConformanceRow("nadam", 0.01, 0.01, 5000, 1e-3),
    ConformanceRow("nadamw", 0.01, 0.01, 5000, 1e-3),
    // NovoGrad divides each tensor's gradient by its norm, so its steps do not shrink near the
    // minimum: it settles within a few lr of it (1.1e-4 at lr 1e-3 on Rosenbrock, written out in torch).
    ConformanceRow("novograd", 0.01, 1e-3, 3000, 1e-3),
    // Prodigy's step is its distance estimate times lr: at lr 1 it circles the quadratic's minimum
    // at 0.4 % of the start (at 0.5, 0.07 %), and Rosenbrock's, at f ~ 5e-3 (written out in numpy).
    // Its estimate is shared, so two groups with different rates are refused.
    ConformanceRow("prodigy", 0.5, 0.1, 3000, 1e-3, oneGroup = true),
    ConformanceRow("proximaladagrad", 0.1, 0.3, 5000, 1e-3),
    // RAdam is slow on this valley: torch's own RAdam is at 0.432 after the same 5000 steps.
    ConformanceRow("radam", 0.01, 3e-3, 5000, 0.5),
    ConformanceRow("radamw", 0.01, 3e-3, 5000, 0.5),
    ConformanceRow("rmsprop", 0.01, 1e-3, 5000, 1e-3),
    ConformanceRow("rprop", 0.01, 0.01, 3000, 1e-3),
    // Rosenbrock's valley is slow for the averaged weights: 4.5e-4 and 7.4e-4 written out in torch.
    ConformanceRow("schedulefreeadamw", 0.01, 0.03, 5000, 2e-3),
    ConformanceRow("schedulefreesgd", 0.1, 1e-3, 5000, 5e-3),
    ConformanceRow("sgd", 0.1, 1e-3, 5000, 0.01),
    ConformanceRow("sparseadam", 0.01, 0.03, 3000, 1e-3),
    ConformanceRow("yogi", 0.01, 0.03, 3000, 1e-3),
)

/**
 * The problems the conformance specs run the table on, in [manager]: parameters from a scalar to
 * 4-D, a quadratic with its curvatures and minimum, and how a spec of a row is built and stepped.
 */
class Conformance(val manager: NDManager) {
    fun spec(row: ConformanceRow, lr: Any, groups: (Options) -> Unit = {}): OptimizerSpec<*> {
        val options = GoldenSpecs.chain(row.name).options()
        options.set("lr", lr)
        row.extra.forEach { (k, v) -> options.set(k, v) }
        groups(options)
        return options.build()
    }

    /** Parameters from a scalar to 4-D, with values in (-1, 1); the same values as matrices when told. */
    fun model(seed: Long = 3, type: DataType = DataType.FLOAT32, matrices: Boolean = false): LinkedHashMap<String, NDArray> {
        val shapes = if (matrices) linkedMapOf("conv" to Shape(6, 4), "bias" to Shape(1, 3), "scale" to Shape(1, 1))
        else linkedMapOf("conv" to Shape(2, 3, 2, 2), "bias" to Shape(3), "scale" to Shape())
        val out = LinkedHashMap<String, NDArray>()
        shapes.entries.forEachIndexed { i, (name, shape) ->
            out[name] = manager.create(GradientGenerator.values(seed, 0, i, shape.size().toInt(), 1.0), shape).toType(type, false)
                .also { it.setRequiresGradient(true) }
        }
        return out
    }

    /** The quadratic's curvatures, in [0.5, 2], and its minimum, per parameter. */
    val curvature = model(11).mapValues { (_, a) -> a.abs().mul(1.5f).add(0.5f).also { it.setRequiresGradient(false) } }
    val minimum = model(12).mapValues { (_, c) -> c.also { it.setRequiresGradient(false) } }
    /** The minimum with each scalar on the side it starts, for layer-wise rules. */
    val sameSide = minimum.mapValues { (name, c) ->
        if (c.shape.dimension() == 0 && c.getFloat() * model().getValue(name).getFloat() < 0) c.neg() else c
    }

    /** One backward pass of sum(a (w - c)^2 / 2) over the trainable parameters; returns its value. */
    fun quadratic(arrays: Map<String, NDArray>, target: Map<String, NDArray> = minimum): Double =
        NDScope().use {
            Engine.getInstance().newGradientCollector().use { collector ->
                val terms = arrays.filter { it.value.hasGradient() }.map { (name, w) ->
                    val d = w.sub(target.getValue(name).toType(w.dataType, false).reshape(w.shape))
                    d.square().mul(curvature.getValue(name).toType(w.dataType, false).reshape(w.shape)).sum()
                        .mul(FusedOps.constant(d, 0.5))
                }
                val loss = terms.reduce(NDArray::add)
                collector.backward(loss)
                loss.toType(DataType.FLOAT64, false).getDouble()
            }
        }

    /** The distance from the parameters to the quadratic's minimum. */
    fun distance(arrays: Map<String, NDArray>, target: Map<String, NDArray> = minimum): Double = sqrt(arrays.entries.sumOf { (name, w) ->
        val c = target.getValue(name).toFloatArray()
        w.toType(DataType.FLOAT32, false).toFloatArray().withIndex().sumOf { (i, v) -> (v.toDouble() - c[i]).let { it * it } }
    })

    /** One step through the closure, as PyTorch's step(closure): every rule, L-BFGS too, takes it. */
    fun step(optimizer: Optimizer<*>, arrays: Map<String, NDArray>, target: Map<String, NDArray> = minimum) {
        optimizer.step {
            optimizer.zeroGrad()
            quadratic(arrays, target)
        }
    }

    fun copy(arrays: Map<String, NDArray>): LinkedHashMap<String, NDArray> = LinkedHashMap(arrays.mapValues { (_, w) ->
        w.duplicate().also { it.setRequiresGradient(w.hasGradient()) }
    })

    fun bitsOf(arrays: Map<String, NDArray>) = arrays.mapValues { it.value.toType(DataType.FLOAT32, false).toFloatArray().bits() }

    /** Every state tensor's bits, float32 ones widened (exactly) to float64. */
    fun stateBits(optimizer: Optimizer<*>) = optimizer.state().tensors().mapValues { (_, v) ->
        v.toType(DataType.FLOAT64, false).toDoubleArray().map { it.toRawBits() }
    }

    // The fused path runs on to step 10,000; the others, whose steps cost far more in native calls
}
