package dev.anneal.optim

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.types.DataType
import dev.anneal.grad.LossScale
import dev.anneal.param.ParameterSet
import dev.anneal.support.GoldenCase
import dev.anneal.support.Mismatch
import dev.anneal.support.replay
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.doubles.shouldBeGreaterThan
import io.kotest.matchers.doubles.shouldBeLessThanOrEqual
import io.kotest.matchers.ints.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe

/**
 * Dynamic loss scaling against torch.cuda.amp.GradScaler (tools/golden/scaler.json): 250 steps of
 * gradients that are scaled and rounded to float16 as a float16 backward pass leaves them, so they
 * overflow whenever the scale is too large. After every step the parameters, the scale, the steps
 * skipped and the step counter must be GradScaler's. Without clipping the parameters match bit
 * for bit; with clipping by a norm within 1e-6 of the largest value (see ClipGoldenSpec).
 */
class ScalerGoldenSpec : FunSpec({
    val cases = GoldenCase.load("scaler")

    test("scaler.json runs 200 steps or more, with overflows, growth, backoff and injected NaNs") {
        cases.size shouldBeGreaterThanOrEqual 6
        cases.forEach { case ->
            withClue(case.name) {
                case.steps shouldBeGreaterThanOrEqual 200
                case.skipped.isNotEmpty() shouldBe true
            }
        }
        cases.any { c -> c.lossScales.zipWithNext().any { (a, b) -> b > a } } shouldBe true
        cases.map { it.name } shouldContain "sgd-nan-and-inf-gradients"
    }

    for (execution in Execution.entries) {
        context("dynamic loss scaling matches GradScaler on the ${execution.name.lowercase()} path") {
            withData(nameFn = { it.name }, cases) { case ->
                val worst = replayScaled(case, execution, GoldenSpecs.of(case))
                val tolerance = if (case.clip != null) 1e-6 else 0.0
                withClue(worst.where) { worst.relative shouldBeLessThanOrEqual tolerance }
            }
        }
    }

    test("a scaler that grows one step late fails the reference") {
        val case = cases.first { it.name == "sgd-momentum-interval-10" }
        val late = GoldenSpecs.chain(case.optimizer).options().apply {
            case.defaults.forEach { (k, v) -> set(k, v) }
            lossScale(LossScale.dynamic(LossScale.DEFAULT_INIT_SCALE, 2.0, 0.5, 11))
        }.build()
        replayScaled(case, Execution.FUSED, late).relative shouldBeGreaterThan 0.0
    }
})

/** The fixture's gradient times the loss scale, rounded to float16 and back: what a float16 backward leaves. */
private fun asFloat16Backward(gradient: NDArray, scale: Float): NDArray =
    gradient.mul(scale).toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false)

/**
 * Replays [case] with [spec]'s optimizer, each gradient scaled by the optimizer's current loss
 * scale; after each step its scale, skipped steps and step counter must be the fixture's, else
 * the mismatch is total.
 */
private fun replayScaled(case: GoldenCase, execution: Execution, spec: OptimizerSpec<*>): Mismatch {
    lateinit var optimizer: Optimizer<*>
    var t = 0
    var counters = Mismatch(0.0, "none")
    val worst = replay(case, normwise = case.clip != null, deliver = { asFloat16Backward(it, optimizer.lossScale()) }) { arrays ->
        optimizer = spec.compile(ParameterSet.of(arrays), execution)
        val step: () -> Unit = {
            t++
            optimizer.step()
            optimizer.zeroGrad()
            val skipped = case.skipped.count { it <= t }.toLong()
            val seen = Triple(optimizer.lossScale(), optimizer.skippedSteps(), optimizer.stepCount())
            val want = Triple(case.lossScales[t - 1], skipped, t - skipped)
            if (seen != want && counters.relative == 0.0) {
                counters = Mismatch(Double.POSITIVE_INFINITY, "(scale, skipped, steps) at step $t: got $seen, want $want")
            }
        }
        step
    }
    return if (counters.relative > 0) counters else worst
}
