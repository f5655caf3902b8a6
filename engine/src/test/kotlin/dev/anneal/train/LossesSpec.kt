package dev.anneal.train

import ai.djl.engine.Engine
import ai.djl.ndarray.NDList
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.training.loss.Loss
import com.google.gson.JsonObject
import com.google.gson.JsonParser
import dev.anneal.config.InvalidConfigException
import dev.anneal.support.collectGarbage
import dev.anneal.train.loss.Losses
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.doubles.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import kotlin.math.abs
import kotlin.math.max

/** Each loss against torch.nn.functional (tools/golden/losses.py): value and gradient, in float64. */
class LossesSpec : FunSpec({
    val cases = JsonParser.parseString(LossesSpec::class.java.getResource("/golden/losses.json")!!.readText())
        .asJsonObject["cases"].asJsonArray.map { it.asJsonObject }

    withData(nameFn = { it["name"].asString }, cases) { case ->
        NDManager.newBaseManager().use { m ->
            val p = array(m, case["predictions"].asJsonObject, DataType.FLOAT64)
            val labelsJson = case["labels"].asJsonObject
            val y = array(m, labelsJson, if (labelsJson["integer"].asBoolean) DataType.INT64 else DataType.FLOAT64)
            p.setRequiresGradient(true)
            val loss = lossOf(case)
            Engine.getInstance().newGradientCollector().use { collector ->
                val value = loss.evaluate(NDList(y), NDList(p))
                withClue("value") { relative(value.getDouble(), case["value"].asDouble) shouldBeLessThanOrEqual 1e-12 }
                collectGarbage() // what the graph saved must outlive the Java handles the loss closed
                collector.backward(value)
            }
            val gradient = p.gradient.toDoubleArray()
            val expected = case["gradient"].asJsonArray.map { it.asDouble }
            gradient.indices.forEach { i ->
                withClue("gradient[$i]") { abs(gradient[i] - expected[i]) shouldBeLessThanOrEqual 1e-12 * max(1.0, abs(expected[i])) }
            }
        }
    }

    test("labels that do not fit the predictions are refused with both shapes") {
        NDManager.newBaseManager().use { m ->
            val e = shouldThrowExactly<InvalidConfigException> {
                Losses.mse().evaluate(NDList(m.zeros(Shape(3))), NDList(m.zeros(Shape(3, 1))))
            }
            e.message shouldBe "loss.mse needs labels shaped like the predictions (3, 1), got (3)"
            shouldThrowExactly<InvalidConfigException> {
                Losses.softmaxCrossEntropy().evaluate(NDList(m.zeros(Shape(4))), NDList(m.zeros(Shape(3, 5))))
            }.message shouldBe "loss.softmaxCrossEntropy needs labels of shape (3) or (3, 5) for logits (3, 5), got (4)"
            shouldThrowExactly<InvalidConfigException> { Losses.smoothL1(0.0) }.message shouldBe
                "loss.smoothL1.beta must be positive (> 0), got 0.0"
        }
    }
})

private fun lossOf(case: JsonObject): Loss = when (case["loss"].asString) {
    "l1" -> Losses.l1()
    "mse" -> Losses.mse()
    "smoothL1" -> Losses.smoothL1(case["options"].asJsonObject["beta"]?.asDouble ?: 1.0)
    "softmaxCrossEntropy" -> Losses.softmaxCrossEntropy()
    "binaryCrossEntropyWithLogits" -> Losses.binaryCrossEntropyWithLogits()
    else -> error("unknown loss")
}

private fun array(m: NDManager, json: JsonObject, type: DataType) =
    m.create(json["values"].asJsonArray.map { it.asDouble }.toDoubleArray(), Shape(*json["shape"].asJsonArray.map { it.asLong }.toLongArray()))
        .toType(type, false)

private fun relative(got: Double, want: Double) = if (got == want) 0.0 else abs(got - want) / max(abs(want), 1e-300)
