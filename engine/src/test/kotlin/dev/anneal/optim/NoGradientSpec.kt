package dev.anneal.optim

import ai.djl.engine.Engine
import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import com.google.gson.JsonElement
import com.google.gson.JsonObject
import com.google.gson.JsonParser
import dev.anneal.grad.NoGradient
import dev.anneal.param.ParameterSet
import dev.anneal.support.backward
import dev.anneal.support.bits
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe

/**
 * Parameters that the backward passes give no gradient, against `tools/golden/nograd.json`
 * (torch 1.13's SGD, Adam and AdamW after `zero_grad(set_to_none=True)`, PyTorch 2.x's default,
 * and after `zero_grad(set_to_none=False)`): a loop that clears the gradients, runs a backward
 * pass over the parameters used at that step only, and steps. Bit for bit, both paths, both
 * policies; the two policies' references differ, so each test tells them apart.
 */
class NoGradientSpec : FunSpec({
    val json = JsonParser.parseString(NoGradientSpec::class.java.getResource("/golden/nograd.json")!!.readText()).asJsonObject
    val steps = json["steps"].asInt
    fun floats(e: JsonElement): FloatArray = e.asJsonArray.map { it.asFloat }.toFloatArray()
    val params = json["params"].asJsonArray.map { it.asJsonObject }

    data class Case(val name: String, val optimizer: String, val options: JsonObject, val policy: NoGradient, val expected: JsonObject)

    val cases = json["cases"].asJsonArray.map { it.asJsonObject }.flatMap { c ->
        listOf(NoGradient.SKIP to "setToNone", NoGradient.ZERO to "zero").map { (policy, key) ->
            Case("${c["name"].asString}, ${policy.name}", c["optimizer"].asString, c["options"].asJsonObject, policy, c[key].asJsonObject)
        }
    }

    fun spec(case: Case): OptimizerSpec<*> {
        val builder = GoldenSpecs.chain(case.optimizer).options()
        case.options.entrySet().forEach { (k, v) ->
            builder.set(k, if (v.asJsonPrimitive.isBoolean) v.asBoolean else v.asDouble)
        }
        return builder.onNoGradient(case.policy).build()
    }

    for (execution in Execution.entries) {
        context("torch's trajectories with unused parameters on the ${execution.name.lowercase()} path") {
            withData(nameFn = { it.name }, cases) { case ->
                NDManager.newBaseManager().use { manager ->
                    val arrays = LinkedHashMap<String, NDArray>()
                    for (p in params) {
                        val shape = Shape(*p["shape"].asJsonArray.map { it.asLong }.toLongArray())
                        arrays[p["name"].asString] = manager.create(floats(p["init"]), shape).also { it.setRequiresGradient(true) }
                    }
                    spec(case).compile(ParameterSet.of(arrays), execution).use { optimizer ->
                        for (t in 1..steps) {
                            optimizer.zeroGrad()
                            backward(manager, params.filter { p -> t !in p["unused"].asJsonArray.map { it.asInt } }
                                .associate { p -> arrays.getValue(p["name"].asString) to floats(p["grads"].asJsonArray[t - 1]) })
                            optimizer.step()
                            for ((name, w) in arrays) {
                                withClue("$name after step $t") {
                                    w.toFloatArray().bits() shouldBe floats(case.expected[name].asJsonArray[t - 1]).bits()
                                }
                            }
                        }
                        optimizer.state().updates() shouldBe expectedUpdates(case.policy, params, steps)
                    }
                }
            }
        }
    }

    test("a float16 parameter the backward pass misses is left alone too, its master and update count included") {
        NDManager.newBaseManager().use { manager ->
            val used = manager.create(floatArrayOf(1f, 2f, 3f)).toType(DataType.FLOAT16, false).also { it.setRequiresGradient(true) }
            val unused = manager.create(floatArrayOf(4f, 5f)).toType(DataType.FLOAT16, false).also { it.setRequiresGradient(true) }
            val arrays = linkedMapOf("used" to used, "unused" to unused)
            Optimizers.sgd().lr(0.1).weightDecay(0.5).build().compile(ParameterSet.of(arrays)).use { optimizer ->
                repeat(3) {
                    Engine.getInstance().newGradientCollector().use { it.backward(used.sum().add(unused.sum())) }
                    optimizer.step()
                    optimizer.zeroGrad()
                }
                val before = unused.toType(DataType.FLOAT32, false).toFloatArray().bits()
                val master = optimizer.state().tensors().getValue("unused/master").toFloatArray().bits()
                repeat(2) {
                    Engine.getInstance().newGradientCollector().use { it.backward(used.sum()) }
                    optimizer.step()
                    optimizer.zeroGrad()
                }
                unused.toType(DataType.FLOAT32, false).toFloatArray().bits() shouldBe before
                optimizer.state().tensors().getValue("unused/master").toFloatArray().bits() shouldBe master
                optimizer.state().updates() shouldBe mapOf("used" to 5L, "unused" to 3L)
            }
        }
    }

    test("the two policies' references differ, so the replays above tell them apart") {
        json["cases"].asJsonArray.map { it.asJsonObject }.forEach { c ->
            c["setToNone"].asJsonObject["head.weight"] shouldNotBe c["zero"].asJsonObject["head.weight"]
        }
    }
})

/** Each parameter's update count after [steps]: skipped while unused under SKIP; under ZERO only until its first gradient. */
private fun expectedUpdates(policy: NoGradient, params: List<JsonObject>, steps: Int): Map<String, Long> = params.associate { p ->
    val unused = p["unused"].asJsonArray.map { it.asInt }.toSet()
    val firstUsed = (1..steps).first { it !in unused }
    val skipped = (1..steps).count { it in unused && (policy == NoGradient.SKIP || it < firstUsed) }
    p["name"].asString to (steps - skipped).toLong()
}
