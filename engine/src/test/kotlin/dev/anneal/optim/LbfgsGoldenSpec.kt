package dev.anneal.optim

import ai.djl.engine.Engine
import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import com.google.gson.JsonElement
import com.google.gson.JsonObject
import com.google.gson.JsonParser
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Schedule
import dev.anneal.state.Checkpoint
import dev.anneal.state.CheckpointFile
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe
import kotlin.io.path.createTempDirectory

/** The chained Rosenbrock function of tools/golden/lbfgs.py, in the float32 operations its doc writes out. */
fun rosenbrock(z: FloatArray, grad: FloatArray): Float {
    var f = 0f
    for (i in z.indices step 2) {
        val u = z[i]
        val v = z[i + 1]
        val a = 1f - u
        val b = v - u * u
        f += a * a + 100f * (b * b)
        grad[i] = -2f * a - 400f * (u * b)
        grad[i + 1] = 200f * b
    }
    return f
}

/** The same in float64. */
fun rosenbrock(z: DoubleArray, grad: DoubleArray): Double {
    var f = 0.0
    for (i in z.indices step 2) {
        val u = z[i]
        val v = z[i + 1]
        val a = 1.0 - u
        val b = v - u * u
        f += a * a + 100.0 * (b * b)
        grad[i] = -2.0 * a - 400.0 * (u * b)
        grad[i + 1] = 200.0 * b
    }
    return f
}

/**
 * A closure over [params] for [optimizer]: clears the gradients, then sets them to Rosenbrock's
 * (computed in the parameters' type), and returns its value.
 */
fun rosenbrockClosure(optimizer: Optimizer<*>, params: Map<String, NDArray>): () -> Double = {
    optimizer.zeroGrad()
    val wide = params.values.first().dataType == DataType.FLOAT64
    val z = params.values.flatMap { it.toType(DataType.FLOAT64, false).toDoubleArray().toList() }.toDoubleArray()
    val (f, grad) = if (wide) DoubleArray(z.size).let { g -> rosenbrock(z, g) to g }
    else FloatArray(z.size).let { g -> rosenbrock(FloatArray(z.size) { z[it].toFloat() }, g).toDouble() to g.map { it.toDouble() }.toDoubleArray() }
    var offset = 0
    Engine.getInstance().newGradientCollector().use { collector ->
        val terms = params.values.map { w ->
            val g = w.manager.create(grad.copyOfRange(offset, offset + w.size().toInt()), w.shape).toType(w.dataType, false)
            offset += w.size().toInt()
            w.mul(g).sum()
        }
        collector.backward(terms.reduce { a, b -> a.add(b) })
    }
    f
}

/**
 * L-BFGS against torch.optim.LBFGS (1.13) on Rosenbrock's function, with and without the strong
 * Wolfe line search (lbfgs.json, tools/golden/lbfgs.py): the loss each step returns, every
 * parameter and the state's counters, step by step, bit for bit.
 */
class LbfgsGoldenSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }
    val root = JsonParser.parseString(
        LbfgsGoldenSpec::class.java.getResource("/golden/lbfgs.json")!!.readText()).asJsonObject
    val cases = root["cases"].asJsonArray.map { it.asJsonObject }

    fun floats(e: JsonElement) = e.asJsonArray.map { it.asFloat }.toFloatArray()

    test("the builder starts from torch.optim.LBFGS's defaults") {
        val ours = Lbfgs.LBFGS.defaults().fields().mapValues { (_, v) -> if (v is Schedule.Constant) v.value() else v }
        root["torchDefaults"].asJsonObject.entrySet().forEach { (name, value) ->
            withClue(name) { ours[name] shouldBe if (value.asJsonPrimitive.isBoolean) value.asBoolean else value.asDouble }
        }
    }

    /** A fresh set of the case's parameters, at their starting values, in the case's type. */
    fun params(case: JsonObject): LinkedHashMap<String, NDArray> {
        val type = DataType.valueOf(case["dtype"].asString.uppercase())
        val params = LinkedHashMap<String, NDArray>()
        case["params"].asJsonObject.entrySet().forEach { (name, p) ->
            val shape = Shape(*p.asJsonObject["shape"].asJsonArray.map { it.asLong }.toLongArray())
            params[name] = manager.create(floats(p.asJsonObject["init"]), shape).toType(type, false)
                .also { it.setRequiresGradient(true) }
        }
        return params
    }

    fun spec(case: JsonObject): OptimizerSpec<*> {
        val options = Lbfgs.LBFGS.options()
        case["options"].asJsonObject.entrySet().forEach { (name, v) ->
            options.set(name, if (v.asJsonPrimitive.isBoolean) v.asBoolean else v.asDouble)
        }
        return options.build()
    }

    /** Steps [from, to) of [case] (counted from 0), each checked against the reference. */
    fun replay(case: JsonObject, optimizer: Optimizer<*>, params: Map<String, NDArray>, from: Int, to: Int) {
        val type = DataType.valueOf(case["dtype"].asString.uppercase())
        /** Values as the fixture writes them: float32 ones (shortest strings of float32) widened. */
        fun doubles(e: JsonElement) = e.asJsonArray.map { if (type == DataType.FLOAT32) it.asFloat.toDouble() else it.asDouble }
        val closure = rosenbrockClosure(optimizer, params)
        for (i in from until to) {
            val expected = case["steps"].asJsonArray[i].asJsonObject
            val loss = optimizer.step(closure)
            withClue("step ${i + 1}") {
                loss.toRawBits() shouldBe doubles(expected["loss"])[0].toRawBits()
                expected["params"].asJsonObject.entrySet().forEach { (name, values) ->
                    withClue(name) {
                        params.getValue(name).toType(DataType.FLOAT64, false).toDoubleArray().map { it.toRawBits() } shouldBe
                            doubles(values).map { it.toRawBits() }
                    }
                }
                val state = optimizer.state().tensors()
                state.getValue("func_evals").getDouble().toLong() shouldBe expected["funcEvals"].asLong
                state.getValue("n_iter").getDouble().toLong() shouldBe expected["nIter"].asLong
            }
        }
    }

    context("LBFGS follows torch.optim.LBFGS step by step, bit for bit") {
        withData(nameFn = { it["name"].asString }, cases) { case: JsonObject ->
            val params = params(case)
            spec(case).compile(ParameterSet.of(params)).use { optimizer ->
                replay(case, optimizer, params, 0, case["steps"].asJsonArray.size())
            }
        }
    }

    // Halfway, after the history has wrapped: everything the search carries must be in the file.
    context("a run resumed from a checkpoint file halfway goes on as torch's did, bit for bit") {
        val resumed = cases.filter { it["name"].asString in setOf("rosenbrock-strong-wolfe-history-3-wraps",
            "chained-strong-wolfe-history-4", "wide-strong-wolfe-lr-100-zooms", "float64-chained-fixed-step-lr-0.01") }
        resumed.size shouldBe 4
        withData(nameFn = { it["name"].asString }, resumed) { case: JsonObject ->
            val steps = case["steps"].asJsonArray.size()
            val file = createTempDirectory().resolve("halfway.anneal")
            val first = params(case)
            spec(case).compile(ParameterSet.of(first)).use { optimizer ->
                replay(case, optimizer, first, 0, steps / 2)
                CheckpointFile.write(file, Checkpoint.capture(0, (steps / 2).toLong(), ParameterSet.of(first), mapOf("o" to optimizer)))
            }
            val second = params(case) // back at the start: the file must move them
            spec(case).compile(ParameterSet.of(second)).use { optimizer ->
                CheckpointFile.read(file, manager).restore(ParameterSet.of(second), mapOf("o" to optimizer))
                replay(case, optimizer, second, steps / 2, steps)
            }
        }
    }
})
