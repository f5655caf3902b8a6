package dev.anneal.optim

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import dev.anneal.config.InvalidConfigException
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Schedule
import dev.anneal.support.parameters
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain

/** What the Schedule-Free references do not show: the refusals, and the swap before any update. */
class ScheduleFreeSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    test("beta1 0 is refused up front, and at the step a schedule reaches it, naming the field") {
        val e = shouldThrow<InvalidConfigException> { Optimizers.scheduleFreeAdamW().beta1(0.0).build() }
        e.message shouldContain "beta1"
        e.message shouldContain "must be positive"
        val params = parameters(manager, linkedMapOf("w" to Shape(3)))
        val before = params.getValue("w").toFloatArray()
        Optimizers.scheduleFreeSgd().beta1(Schedule { step -> if (step < 2) 0.9 else 0.0 }).build()
            .compile(ParameterSet.of(params)).use { optimizer ->
                dev.anneal.support.backward(manager, mapOf(params.getValue("w") to floatArrayOf(1f, 2f, 3f)))
                optimizer.step()
                val after = params.getValue("w").toFloatArray()
                (after.contentEquals(before)) shouldBe false
                val refused = shouldThrow<InvalidConfigException> { optimizer.step() }
                refused.message shouldContain "beta1"
                params.getValue("w").toFloatArray().contentEquals(after) shouldBe true
                optimizer.state().step() shouldBe 1L
            }
    }

    test("before any update the weights to evaluate are the weights, and a swap changes nothing") {
        val params = parameters(manager, linkedMapOf("w" to Shape(2, 3)))
        val before = params.getValue("w").toFloatArray()
        Optimizers.scheduleFreeAdamW().build().compile(ParameterSet.of(params)).use { optimizer ->
            optimizer.averagesStarted() shouldBe false
            optimizer.swapAverages()
            params.getValue("w").toFloatArray().contentEquals(before) shouldBe true
            optimizer.swapAverages()
            params.getValue("w").toFloatArray().contentEquals(before) shouldBe true
        }
    }
})
