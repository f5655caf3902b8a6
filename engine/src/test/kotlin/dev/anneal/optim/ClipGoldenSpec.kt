package dev.anneal.optim

import ai.djl.ndarray.NDArray
import dev.anneal.support.GoldenCase
import dev.anneal.support.replay
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.doubles.shouldBeGreaterThan
import io.kotest.matchers.doubles.shouldBeLessThanOrEqual
import io.kotest.matchers.ints.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe

/**
 * Clipping in front of SGD, Adam and AdamW against torch.nn.utils (tools/golden/clip.json): 100
 * steps, parameters compared after each. Clipping by value is elementwise and matches bit for
 * bit. Clipping by a norm sums the total in another order than torch, so its last bits differ
 * and every update with them: within 1e-6 of the largest parameter value, over 100 steps.
 */
class ClipGoldenSpec : FunSpec({
    val cases = GoldenCase.load("clip")

    test("clip.json covers both norms, per group, and clipping by value") {
        cases.size shouldBeGreaterThanOrEqual 12
        cases.map { it.clip!!["normType"] }.toSet() shouldBe setOf(2.0, "inf", null)
        cases.any { it.clip!!["perGroup"] == true } shouldBe true
    }

    for (execution in Execution.entries) {
        context("clipping matches torch.nn.utils on the ${execution.name.lowercase()} path") {
            withData(nameFn = { it.name }, cases) { case ->
                val byValue = "clipValue" in case.clip!!
                val worst = replay(case, normwise = !byValue, step = GoldenSpecs.stepper(case, execution))
                val tolerance = if (byValue) 0.0 else 1e-6
                io.kotest.assertions.withClue(worst.where) { worst.relative shouldBeLessThanOrEqual tolerance }
            }
        }
    }

    test("clipping each tensor by its own norm instead of the total fails the reference") {
        val case = cases.first { it.name == "adam-norm-2-max-1" }
        val worst = replay(case, normwise = true) { arrays -> clipEachThen(arrays, Optimizers.adam().build()) }
        worst.relative shouldBeGreaterThan 1e-6
    }
})

/** Clips every gradient to norm 1 on its own (torch would clip them together), then Adam. */
private fun clipEachThen(arrays: Map<String, NDArray>, spec: OptimizerSpec<*>): () -> Unit {
    val optimizer = spec.compile(dev.anneal.param.ParameterSet.of(arrays), Execution.GENERIC)
    return {
        for (w in arrays.values) {
            val g = w.gradient
            val norm = g.norm().getFloat()
            g.muli(minOf(1f, 1f / (norm + 1e-6f)))
        }
        optimizer.step()
        optimizer.zeroGrad()
    }
}
