package dev.anneal.grad

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import dev.anneal.optim.Execution

import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Schedule
import dev.anneal.support.GradientGenerator
import dev.anneal.support.backward
import dev.anneal.support.bits
import dev.anneal.support.parameters
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.plusOrMinus
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldStartWith
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.shouldNotBe
import dev.anneal.config.InvalidConfigException
import kotlin.math.abs
import kotlin.math.max
import kotlin.math.sqrt

/**
 * Keras's `clipnorm` (`ClipGradNorm.L2.perTensor()`) against `tf.clip_by_norm` written out here:
 * SGD with per-tensor clipping must move the weights exactly as plain SGD fed, for each tensor,
 * `(g * maxNorm) / max(norm, maxNorm)` in float32, where `norm` is the tensor's own norm summed in
 * double and rounded to float32 (the largest |g| for `INF.perTensor()`). SGD's update is
 * proportional to the gradient, so a wrong factor on any tensor shows. Both paths, bit for bit.
 */
class ClipPerTensorSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    // A tensor split across threads, one clipped hard, one never clipped, a scalar and an empty one.
    val model = linkedMapOf(
        "big.weight" to Shape(300, 260), "fc.weight" to Shape(5, 7), "fc.bias" to Shape(5),
        "scale" to Shape(), "empty.weight" to Shape(0, 4),
    )
    val gradientScale = mapOf("big.weight" to 0.05, "fc.weight" to 3.0, "fc.bias" to 1e-3, "scale" to 2.0, "empty.weight" to 1.0)
    val maxNorm = 0.75f

    fun kerasClip(g: FloatArray, infinity: Boolean): FloatArray {
        val norm = if (infinity) g.maxOfOrNull { abs(it) } ?: 0f else sqrt(g.sumOf { it.toDouble() * it }).toFloat()
        val divisor = max(norm, maxNorm)
        return FloatArray(g.size) { (g[it] * maxNorm) / divisor }
    }

    for (execution in Execution.entries) {
        for ((norm, infinity) in listOf(ClipGradNorm.L2.perTensor() to false, ClipGradNorm.INF.perTensor() to true)) {
            test("$norm clips each tensor by its own norm, as tf.clip_by_norm (${execution.name.lowercase()})") {
                val a = parameters(manager, model, seed = 5)
                val b = parameters(manager, model, seed = 5)
                val clipped = Optimizers.sgd().lr(0.1).momentum(0.9)
                    .clipGradNorm(norm, Schedule.constant(maxNorm.toDouble()), false).build()
                clipped.compile(ParameterSet.of(a), execution).use { withTool ->
                    Optimizers.sgd().lr(0.1).momentum(0.9).build().compile(ParameterSet.of(b), execution).use { fed ->
                        val clippedNames = HashSet<String>()
                        for (t in 1L..3L) {
                            val own = HashMap<NDArray, FloatArray>()
                            val given = HashMap<NDArray, FloatArray>()
                            var squares = 0.0
                            a.entries.forEachIndexed { i, (name, w) ->
                                val g = GradientGenerator.values(13, t, i, w.shape.size().toInt(), gradientScale.getValue(name))
                                val expected = kerasClip(g, infinity)
                                if (!expected.contentEquals(g)) clippedNames += name
                                squares += g.sumOf { it.toDouble() * it }
                                own[w] = g
                                given[b.getValue(name)] = expected
                            }
                            backward(manager, own)
                            backward(manager, given)
                            withTool.step()
                            fed.step()
                            if (!infinity) withTool.gradNorm() shouldBe (sqrt(squares) plusOrMinus 1e-12 * sqrt(squares))
                            withTool.zeroGrad()
                            fed.zeroGrad()
                            for (name in a.keys) {
                                withClue("$name after step $t") {
                                    a.getValue(name).toFloatArray().bits() shouldBe b.getValue(name).toFloatArray().bits()
                                }
                            }
                        }
                        // Every nonempty tensor is touched: g * c / c rounds too, as in Keras.
                        clippedNames shouldBe setOf("big.weight", "fc.weight", "fc.bias", "scale")
                    }
                }
            }
        }

        test("a tensor whose own norm is not finite names itself under errorIfNonfinite (${execution.name.lowercase()})") {
            val params = parameters(manager, model, seed = 5)
            val spec = Optimizers.sgd().lr(0.1).onNonFinite(NonFinite.APPLY)
                .clipGradNorm(ClipGradNorm.L2.perTensor(), Schedule.constant(1.0), true).build()
            spec.compile(ParameterSet.of(params), execution).use { optimizer ->
                val before = params.mapValues { it.value.toFloatArray().bits() }
                backward(manager, params.entries.mapIndexed { i, (name, w) ->
                    w to GradientGenerator.values(13, 1, i, w.shape.size().toInt(), 1.0)
                        .also { if (name == "fc.bias") it[2] = Float.POSITIVE_INFINITY }
                }.toMap())
                shouldThrowExactly<ArithmeticException> { optimizer.step() }.message shouldStartWith "fc.bias: the 2-norm of its gradient is Infinity at step 1"
                params.mapValues { it.value.toFloatArray().bits() } shouldBe before
                optimizer.stepCount() shouldBe 0
            }
        }
    }

    test("per tensor, a maxNorm of 0 is refused, as a constant and where a schedule reaches it") {
        shouldThrowExactly<InvalidConfigException> {
            Optimizers.sgd().clipGradNorm(ClipGradNorm.L2.perTensor(), Schedule.constant(0.0), false).build()
        }.message shouldContain "maxNorm"
        val params = parameters(manager, model, seed = 5)
        val reaching = Optimizers.sgd().lr(0.1)
            .clipGradNorm(ClipGradNorm.L2.perTensor(), Schedule { step -> if (step < 2) 1.0 else 0.0 }, false).build()
        reaching.compile(ParameterSet.of(params)).use { optimizer ->
            val before = params.mapValues { it.value.toFloatArray().bits() }
            for (t in 1..2) {
                backward(manager, params.entries.mapIndexed { i, (_, w) ->
                    w to GradientGenerator.values(13, t.toLong(), i, w.shape.size().toInt(), 1.0)
                }.toMap())
                if (t == 1) optimizer.step() else shouldThrowExactly<InvalidConfigException> { optimizer.step() }
                optimizer.zeroGrad()
            }
            optimizer.stepCount() shouldBe 1
            params.mapValues { it.value.toFloatArray().bits() } shouldNotBe before
        }
    }

    test("per-tensor clipping names itself and differs from the global and per-group ones") {
        ClipGradNorm.L2.perTensor().toString() shouldBe "ClipGradNorm.L2.perTensor()"
        (ClipGradNorm.L2.perTensor() == ClipGradNorm.L2.perGroup()) shouldBe false
        (ClipGradNorm.INF.perTensor() == ClipGradNorm.INF.perTensor()) shouldBe true
    }
})
