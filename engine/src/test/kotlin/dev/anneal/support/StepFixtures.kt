package dev.anneal.support

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import dev.anneal.optim.Optimizer

/** Three parameters from scalars to 4-D, the last one small: where a late problem in a step is put. */
fun threeParameters(manager: NDManager): LinkedHashMap<String, NDArray> = parameters(manager,
    linkedMapOf("conv.weight" to Shape(2, 3, 3, 3), "fc.weight" to Shape(4, 5), "late.bias" to Shape(3)))

/** Trainable parameters of these shapes, in order, with values in (-1, 1) from [seed]. */
fun parameters(manager: NDManager, shapes: Map<String, Shape>, seed: Long = 5): LinkedHashMap<String, NDArray> {
    val out = LinkedHashMap<String, NDArray>()
    shapes.entries.forEachIndexed { i, (name, shape) ->
        out[name] = manager.create(GradientGenerator.values(seed, 0, i, shape.size().toInt(), 1.0), shape)
            .also { it.setRequiresGradient(true) }
    }
    return out
}

/** Everything a step may change, as bits: parameters, state tensors, update counts, the step counter. */
fun stepSnapshot(optimizer: Optimizer<*>, arrays: Map<String, NDArray>): List<Any> {
    val state = optimizer.state()
    return listOf(
        arrays.mapValues { it.value.toFloatArray().bits() },
        state.tensors().mapValues { it.value.toFloatArray().bits() },
        state.updates(),
        state.step(),
    )
}

/** Step [t]'s gradients for [arrays] times [scale], through a backward pass; [bad] goes into the last parameter's first element. */
fun stepGradients(manager: NDManager, arrays: Map<String, NDArray>, t: Long, scale: Float = 1f, bad: Float? = null) =
    backward(manager, arrays.values.mapIndexed { i, w ->
        val g = GradientGenerator.values(9, t, i, w.shape.size().toInt(), 1.0).map { it * scale }.toFloatArray()
        if (bad != null && i == arrays.size - 1) g[0] = bad
        w to g
    }.toMap())
