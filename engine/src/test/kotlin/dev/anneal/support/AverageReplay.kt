package dev.anneal.support

import ai.djl.ndarray.NDManager
import dev.anneal.optim.Execution
import dev.anneal.optim.OptimizerSpec
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import io.kotest.assertions.withClue
import io.kotest.matchers.shouldBe

/**
 * Trains [threeParameters] for 30 steps with [averaged] (Adam with an average of the weights) and,
 * beside it, [plain] (the same Adam without), fc.weight frozen in the steps of [frozen]. After
 * each step, [expected] gets each updated parameter's index, its update count, the step and its
 * weights, and returns the average it should now have (or null: unchanged); the state
 * [stateName] must hold it bit for bit (zeros before it starts), and the weights must be the
 * plain run's.
 */
fun replayAverage(
    manager: NDManager,
    execution: Execution,
    averaged: OptimizerSpec<*>,
    plain: OptimizerSpec<*>,
    stateName: String,
    frozen: IntRange,
    expected: (index: Int, count: Long, step: Long, weights: FloatArray, previous: FloatArray?) -> FloatArray?,
) {
    val params = threeParameters(manager)
    val reference = threeParameters(manager)
    val fc = Selector.name("fc.weight")
    val withAverage = averaged.compile(ParameterSet.of(params), execution)
    val without = plain.compile(ParameterSet.of(reference), execution)
    val counts = LongArray(params.size)
    val averages = arrayOfNulls<FloatArray>(params.size)
    for (t in 1L..30L) {
        for ((set, o) in listOf(params to withAverage, reference to without)) {
            set.values.forEachIndexed { i, w -> w.setRequiresGradient(!(t in frozen && fc.matches(o.parameters().all()[i]))) }
            stepGradients(manager, set.filterValues { it.hasGradient() }, t)
            o.step()
            o.zeroGrad()
        }
        params.values.forEachIndexed { i, w ->
            if (w.hasGradient()) {
                averages[i] = expected(i, ++counts[i], t, w.toFloatArray(), averages[i]) ?: averages[i]
            }
        }
        val state = withAverage.state()
        params.keys.forEachIndexed { i, name ->
            withClue("$name at step $t") {
                val average = state.tensors().getValue("$name/$stateName").toFloatArray()
                average.bits() shouldBe (averages[i] ?: FloatArray(average.size)).bits()
                params.getValue(name).toFloatArray().bits() shouldBe reference.getValue(name).toFloatArray().bits()
            }
        }
    }
    withAverage.close()
    without.close()
}
