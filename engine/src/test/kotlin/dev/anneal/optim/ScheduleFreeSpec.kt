package dev.anneal.optim

import ai.djl.engine.Engine
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import dev.anneal.config.InvalidConfigException
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Schedule
import dev.anneal.support.GradientGenerator
import dev.anneal.support.bits
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain

/** What the Schedule-Free references do not show: the refusals, and the swap over float16 weights. */
class ScheduleFreeSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    test("beta1 must be a positive constant: x divides by it and is recovered with the beta1 that built y") {
        for (beta1 in listOf(Schedule.constant(0.0), Schedule { step -> if (step < 10) 0.9 else 0.95 })) {
            val e = shouldThrow<InvalidConfigException> { Optimizers.scheduleFreeAdamW().beta1(beta1).build() }
            e.message shouldContain "beta1"
            e.message shouldContain "must be a positive constant"
        }
    }

    test("with float16 weights, x comes from the float32 master and goes in rounded; the swap back restores weights and master") {
        val shape = Shape(4, 5)
        val w16 = manager.create(GradientGenerator.values(5, 0, 0, 20, 1.0), shape).toType(DataType.FLOAT16, false)
            .also { it.setRequiresGradient(true) }
        val w32 = w16.toType(DataType.FLOAT32, true).also { it.setRequiresGradient(true) }
        val spec = Optimizers.scheduleFreeAdamW().lr(0.01).build()
        spec.compile(ParameterSet.of(mapOf("w" to w16))).use { mixed ->
            spec.compile(ParameterSet.of(mapOf("w" to w32))).use { plain ->
                for (t in 1L..5L) {
                    val g16 = manager.create(GradientGenerator.values(9, t, 0, 20, 1.0), shape).toType(DataType.FLOAT16, false)
                    for ((w, g) in listOf(w16 to g16, w32 to g16.toType(DataType.FLOAT32, false))) {
                        Engine.getInstance().newGradientCollector().use { it.backward(w.mul(g).sum()) }
                    }
                    mixed.step()
                    plain.step()
                    mixed.zeroGrad()
                    plain.zeroGrad()
                }
                val y16 = w16.toFloatArray().bits()
                val master = mixed.state().tensors().getValue("w/master").toFloatArray().bits()
                mixed.swapAverages()
                plain.swapAverages()
                withClue("x, rounded to float16") {
                    w16.toFloatArray().bits() shouldBe w32.toType(DataType.FLOAT16, false).toFloatArray().bits()
                    w16.toFloatArray().bits() shouldNotBe y16
                }
                mixed.swapAverages()
                plain.swapAverages()
                w16.toFloatArray().bits() shouldBe y16
                mixed.state().tensors().getValue("w/master").toFloatArray().bits() shouldBe master
            }
        }
    }
})
