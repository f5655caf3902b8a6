package dev.anneal.optim

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import dev.anneal.config.InvalidConfigException
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.schedule.Schedule
import dev.anneal.schedule.Schedules
import dev.anneal.support.GradientGenerator
import dev.anneal.support.backward
import dev.anneal.support.parameters
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldNotContain

/**
 * Muon's refusals, before anything moves: a parameter that is not a matrix (when compiled, and when
 * added as a group later), and Newton-Schulz settings torch refuses; and its update on both
 * shapes of matrix is what its rule says: orthogonal rows (a wide matrix) or columns (a tall one).
 */
class MuonSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    test("a parameter that is not a matrix is refused by name and shape when compiled, with the way out") {
        val params = parameters(manager, linkedMapOf("fc.weight" to Shape(3, 4), "fc.bias" to Shape(3), "conv" to Shape(2, 1, 3, 3)))
        val e = shouldThrow<InvalidConfigException> { Optimizers.muon().build().compile(ParameterSet.of(params)) }
        e.message shouldContain "parameters[fc.bias]"
        e.message shouldContain "(3)"
        e.message shouldContain "parameters[conv]"
        e.message shouldContain "2-D matrices only"
        e.message shouldContain "adamW()"
        e.message shouldNotContain "fc.weight"
    }

    test("a group added later is refused the same way, and the optimizer goes on as it was") {
        val params = parameters(manager, linkedMapOf("w" to Shape(4, 3), "b" to Shape(4)))
        params.getValue("b").setRequiresGradient(false)
        Optimizers.muon().lr(0.02).build().compile(ParameterSet.of(params), Execution.GENERIC).use { optimizer ->
            params.getValue("b").setRequiresGradient(true)
            val e = shouldThrow<InvalidConfigException> { optimizer.addGroup("rest", Selector.name("b")) { } }
            e.message shouldContain "parameters[b]"
            params.getValue("b").setRequiresGradient(false)
            val before = params.getValue("w").toFloatArray()
            backward(manager, mapOf(params.getValue("w") to GradientGenerator.values(3, 1, 0, 12, 1.0)))
            optimizer.step()
            params.getValue("w").toFloatArray().contentEquals(before) shouldBe false
        }
    }

    test("Newton-Schulz settings torch refuses are refused: a fractional or too large step count, a scheduled coefficient") {
        shouldThrow<InvalidConfigException> { Optimizers.muon().nsSteps(2.5).build() }.message shouldContain "nsSteps"
        shouldThrow<InvalidConfigException> { Optimizers.muon().nsSteps(100.0).build() }.message shouldContain "below 100"
        shouldThrow<InvalidConfigException> { Optimizers.muon().nsA(Schedules.join(listOf(Schedule.constant(3.0), Schedule.constant(3.4)), 10)).build() }
            .message shouldContain "nsA"
    }

    test("ten Newton-Schulz steps make a wide matrix's rows, and a tall one's columns, nearly orthonormal") {
        for (shape in listOf(Shape(3, 8), Shape(8, 3))) {
            val params = parameters(manager, linkedMapOf("w" to shape))
            val w = params.getValue("w")
            // No decay, no momentum, lr 1: the step is the orthogonalised gradient itself.
            Optimizers.muon().lr(1.0).weightDecay(0.0).momentum(0.0).nesterov(false).nsSteps(10.0).build()
                .compile(ParameterSet.of(params), Execution.GENERIC).use { optimizer ->
                    val before = w.duplicate()
                    backward(manager, mapOf(w to GradientGenerator.values(5, 1, 0, 24, 1.0)))
                    optimizer.step()
                    val ratio = kotlin.math.sqrt(maxOf(1.0, shape[0].toDouble() / shape[1])).toFloat()
                    val o = before.sub(w).div(ratio)
                    val small = if (shape[0] < shape[1]) o.matMul(o.transpose()) else o.transpose().matMul(o)
                    val identity = manager.eye(3)
                    // torch's coefficients leave singular values between about 0.7 and 1.2, not exactly 1.
                    val worst = small.sub(identity).abs().max().getFloat()
                    (worst < 0.5f) shouldBe true
                }
        }
    }
})
