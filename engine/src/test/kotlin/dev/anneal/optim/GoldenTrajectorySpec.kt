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
import io.kotest.matchers.collections.shouldContainAll
import dev.anneal.schedule.Schedule

/**
 * Every optimizer against its reference trajectories (tools/golden/): 100 steps, parameters
 * compared after every step, within 1e-6 relative in float32, on the fused and the generic path.
 */
class GoldenTrajectorySpec : FunSpec({
    // The bar is 1e-6 relative; both paths in fact reproduce PyTorch's bits on x86-64
    // with FMA, so a rounding change shows here as a failure, not as drift within tolerance.
    val tolerance = 0.0

    for (optimizer in Optimizers.chains().map { it.name() }) {
        val cases = GoldenCase.load(optimizer)

        test("$optimizer has at least 20 reference cases of 100 steps") {
            cases.size shouldBeGreaterThanOrEqual 20
            cases.forEach { it.steps shouldBe 100 }
        }

        for (execution in Execution.entries) {
            context("$optimizer matches its reference on the ${execution.name.lowercase()} path") {
                withData(nameFn = { it.name }, cases) { case ->
                    val worst = replay(case, step = GoldenSpecs.stepper(case, execution))
                    withClue(worst.where) { worst.relative shouldBeLessThanOrEqual tolerance }
                }
            }
        }
    }

    context("builders start from torch.optim's defaults, where torch.optim has the optimizer") {
        val torchOptimizers = Optimizers.chains().filter { GoldenCase.torchDefaults(it.name()).isNotEmpty() }
        torchOptimizers.map { it.name() } shouldContainAll listOf("sgd", "adam", "adamw")
        withData(nameFn = { it.name() }, torchOptimizers) { chain ->
            val torch = GoldenCase.torchDefaults(chain.name())
            val ours = chain.defaults().fields()
                .mapValues { (_, v) -> if (v is Schedule.Constant) v.value() else v }
            for ((name, value) in torch) {
                withClue(name) { ours[name] shouldBe value }
            }
        }
    }

    context("a deliberately wrong update fails the reference") {
        test("Adam without bias correction") {
            val case = GoldenCase.load("adam").first { it.name == "defaults" }
            val worst = replay(case) { arrays -> wrongAdam(arrays) }
            worst.relative shouldBeGreaterThan tolerance
        }
        test("Lion that takes the sign of the updated momentum instead of the interpolation") {
            val case = GoldenCase.load("lion").first { it.name == "defaults" }
            val worst = replay(case) { arrays -> wrongLion(arrays) }
            worst.relative shouldBeGreaterThan tolerance
        }
        test("SGD whose momentum buffer starts at zero instead of the first gradient") {
            val case = GoldenCase.load("sgd").first { it.name == "momentum-0.9" }
            val worst = replay(case) { arrays -> wrongSgd(arrays) }
            worst.relative shouldBeGreaterThan tolerance
        }
        test("RMSprop with eps inside the square root, where TensorFlow puts it") {
            val case = GoldenCase.load("rmsprop").first { it.name == "eps-1e-3" }
            val worst = replay(case) { arrays -> wrongRmsProp(arrays) }
            worst.relative shouldBeGreaterThan tolerance
        }
        test("Adagrad whose sum ignores the initial accumulator value") {
            val case = GoldenCase.load("adagrad").first { it.name == "initial-accumulator-0.1" }
            val worst = replay(case) { arrays -> wrongAdagrad(arrays) }
            worst.relative shouldBeGreaterThan tolerance
        }
        test("Adamax without bias correction") {
            val case = GoldenCase.load("adamax").first { it.name == "defaults" }
            val worst = replay(case) { arrays -> wrongAdamax(arrays) }
            worst.relative shouldBeGreaterThan tolerance
        }
        test("Adadelta with eps dropped from the accumulated update's root") {
            val case = GoldenCase.load("adadelta").first { it.name == "defaults" }
            val worst = replay(case) { arrays -> wrongAdadelta(arrays) }
            worst.relative shouldBeGreaterThan tolerance
        }
    }
})

private fun withClue(clue: String, block: () -> Unit) = io.kotest.assertions.withClue(clue, block)

/** Adam with the bias correction left out, written with plain NDArray operations. */
private fun wrongAdam(arrays: Map<String, NDArray>): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    val v = arrays.mapValues { it.value.zerosLike() }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            m.getValue(name).muli(0.9).addi(g.mul(0.1))
            v.getValue(name).muli(0.999).addi(g.mul(g).muli(0.001))
            w.subi(m.getValue(name).mul(1e-3).divi(v.getValue(name).sqrt().addi(1e-8)))
            g.muli(0)
        }
    }
}

/** SGD with momentum 0.9 whose buffer starts at zero (MXNet style) rather than as PyTorch does. */
private fun wrongSgd(arrays: Map<String, NDArray>): () -> Unit {
    val buffers = arrays.mapValues { it.value.zerosLike() }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            buffers.getValue(name).muli(0.9).addi(g)
            w.subi(buffers.getValue(name).mul(0.01))
            g.muli(0)
        }
    }
}

/** Lion with its two lines swapped: the momentum updated with beta2 first, then its sign taken. */
private fun wrongLion(arrays: Map<String, NDArray>): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            m.getValue(name).muli(0.99f).addi(g.mul(0.01f))
            w.subi(m.getValue(name).sign().muli(1e-4f))
            g.muli(0)
        }
    }
}

/** RMSprop (lr 0.01, alpha 0.99, eps 1e-3) dividing by sqrt(v + eps) instead of sqrt(v) + eps. */
private fun wrongRmsProp(arrays: Map<String, NDArray>): () -> Unit {
    val v = arrays.mapValues { it.value.zerosLike() }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            v.getValue(name).muli(0.99f).addi(g.mul(g).muli(0.01f))
            w.subi(g.mul(0.01f).divi(v.getValue(name).add(1e-3f).sqrt()))
            g.muli(0)
        }
    }
}

/** Adagrad (lr 0.01, eps 1e-10) whose sum starts at zero although the case starts it at 0.1. */
private fun wrongAdagrad(arrays: Map<String, NDArray>): () -> Unit {
    val sums = arrays.mapValues { it.value.zerosLike() }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            sums.getValue(name).addi(g.mul(g))
            w.subi(g.mul(0.01f).divi(sums.getValue(name).sqrt().addi(1e-10f)))
            g.muli(0)
        }
    }
}

/** Adamax with PyTorch's defaults but the step size left without 1 / (1 - beta1^t). */
private fun wrongAdamax(arrays: Map<String, NDArray>): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    val u = arrays.mapValues { it.value.zerosLike() }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            m.getValue(name).muli(0.9f).addi(g.mul(0.1f))
            u.getValue(name).muli(0.999f).maximum(g.abs().addi(1e-8f)).copyTo(u.getValue(name))
            w.subi(m.getValue(name).mul(2e-3f).divi(u.getValue(name)))
            g.muli(0)
        }
    }
}

/** Adadelta with PyTorch's defaults but sqrt(a) instead of sqrt(a + eps): it never moves from zero updates. */
private fun wrongAdadelta(arrays: Map<String, NDArray>): () -> Unit {
    val v = arrays.mapValues { it.value.zerosLike() }
    val a = arrays.mapValues { it.value.zerosLike() }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            v.getValue(name).muli(0.9f).addi(g.mul(g).muli(0.1f))
            val delta = a.getValue(name).sqrt().divi(v.getValue(name).add(1e-6f).sqrt()).muli(g)
            a.getValue(name).muli(0.9f).addi(delta.mul(delta).muli(0.1f))
            w.subi(delta)
            g.muli(0)
        }
    }
}
