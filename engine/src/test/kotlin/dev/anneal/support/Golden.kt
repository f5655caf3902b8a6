package dev.anneal.support

import ai.djl.engine.Engine
import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import com.google.gson.JsonObject
import dev.anneal.schedule.Precomputed
import dev.anneal.schedule.Schedule
import com.google.gson.JsonParser
import kotlin.math.abs
import kotlin.math.max

/** One case of a fixture written by tools/golden/generate.py. */
class GoldenCase(fixture: String, private val json: JsonObject) {
    /** The optimizer: the fixture's, unless the case names one (clip.json runs several). */
    val optimizer: String = json["optimizer"]?.asString ?: fixture
    val name: String = json["name"].asString
    /** Clipping before each step (clip.json): `maxNorm` and `normType` (2.0 or "inf"), or `clipValue`. */
    val clip: Map<String, Any>? = json["clip"]?.asJsonObject?.entrySet()?.associate { (k, v) ->
        val p = v.asJsonPrimitive
        k to (if (p.isBoolean) p.asBoolean else if (p.isString) p.asString else p.asDouble)
    }
    /** Dynamic loss scaling (scaler.json): GradScaler's arguments by Anneal's names; empty for its defaults. */
    val scaler: Map<String, Double>? = json["scaler"]?.asJsonObject?.entrySet()?.associate { (k, v) -> k to v.asDouble }
    /** The scale after each step's update (scaler.json). */
    val lossScales: List<Float> = json["loss_scale"]?.asJsonArray?.map { it.asFloat } ?: emptyList()
    /** The steps GradScaler skipped (scaler.json). */
    val skipped: Set<Int> = json["skipped"]?.asJsonArray?.map { it.asInt }?.toSet() ?: emptySet()
    /** A NaN or infinity put into one raw gradient element: step to (param index, element, value). */
    private val injected: Map<Int, Triple<Int, Int, Float>> = json["nan"]?.asJsonObject?.entrySet()?.associate { (t, v) ->
        val (param, element, value) = v.asJsonArray.toList()
        val special = mapOf("nan" to Float.NaN, "inf" to Float.POSITIVE_INFINITY, "-inf" to Float.NEGATIVE_INFINITY)
        t.toInt() to Triple(param.asInt, element.asInt, special.getValue(value.asString))
    } ?: emptyMap()
    val seed: Long = json["seed"].asLong
    val steps: Int = json["steps"].asInt
    private val gradScale = json["grad_scale"].asDouble
    val params: List<GoldenParam> = json["params"].asJsonArray.map { it.asJsonObject }.map { p ->
        GoldenParam(
            p["name"].asString,
            p["shape"].asJsonArray.map { it.asLong }.toLongArray(),
            p["init"].asJsonArray.map { it.asFloat }.toFloatArray(),
        )
    }
    val defaults: Map<String, Any> = options(json["defaults"].asJsonObject)
    val groups: List<Pair<List<String>, Map<String, Any>>> = json["groups"].asJsonArray.map { it.asJsonObject }.map { g ->
        g["params"].asJsonArray.map { it.asString } to options(g["options"].asJsonObject)
    }

    /** Options of group `i` set by hand before each step in the reference: schedules here. */
    val scheduled: Map<Int, Map<String, Schedule>> = json["scheduled"]?.asJsonArray?.map { it.asJsonObject }
        ?.groupBy { it["group"].asInt }
        ?.mapValues { (_, entries) ->
            entries.associate { e ->
                val values = e["values"].asJsonArray.map { it.asDouble }.toDoubleArray()
                // Precomputed compares by value, as equal schedules in two groups must.
                e["option"].asString to Precomputed(values)
            }
        } ?: emptyMap()

    /** Steps in which a parameter has no gradient (PyTorch skips it); the replay freezes it then. */
    val frozen: Map<String, Set<Int>> = json["frozen"]?.asJsonObject?.entrySet()
        ?.associate { (name, steps) -> name to steps.asJsonArray.map { it.asInt }.toSet() } ?: emptyMap()

    /** Parameter values after step [step] (1-based). */
    fun expected(param: String, step: Int): FloatArray =
        json["trajectory"].asJsonObject[param].asJsonArray[step - 1].asJsonArray.map { it.asFloat }.toFloatArray()

    /** The reference's average of the weights after the last step (ASGD's ax), or null when it keeps none. */
    fun average(param: String): FloatArray? =
        json["average"]?.asJsonObject?.get(param)?.asJsonArray?.map { it.asFloat }?.toFloatArray()

    /** Row-sparse gradients (`sparse`: [period, kept]): the rows whose gradient is zero in a step. */
    private val sparse: Pair<Int, Int>? = json["sparse"]?.asJsonArray?.let { it[0].asInt to it[1].asInt }

    /**
     * Whether row [row] (along the first dimension; 0 for a scalar) of parameter [paramIndex] has a
     * gradient at [step]: always, unless the case is row-sparse (tools/golden's kept_rows).
     */
    fun keepsRow(paramIndex: Int, step: Int, row: Int): Boolean =
        sparse == null || (step + 2 * row + 3 * paramIndex) % sparse.first < sparse.second

    /** `pull` times the weights is added to each gradient (float32): a bowl around zero under the noise. */
    private val pull: Float = json["pull"]?.asFloat ?: 0f

    /** The gradient of parameter [paramIndex] at [step], where its weights before the step are [weights]. */
    fun gradient(paramIndex: Int, step: Int, weights: FloatArray): FloatArray {
        val values = GradientGenerator.values(seed, step.toLong(), paramIndex, params[paramIndex].init.size, gradScale)
        if (pull != 0f) {
            for (i in values.indices) {
                values[i] = values[i] + pull * weights[i]
            }
        }
        if (sparse != null) {
            val shape = params[paramIndex].shape
            val rowLength = if (shape.isEmpty() || shape[0] == 0L) values.size else values.size / shape[0].toInt()
            for (i in values.indices) {
                if (!keepsRow(paramIndex, step, i / rowLength)) {
                    values[i] = 0f
                }
            }
        }
        injected[step]?.takeIf { it.first == paramIndex }?.let { (_, element, value) -> values[element] = value }
        return values
    }

    override fun toString(): String = "$optimizer/$name"

    private fun options(o: JsonObject): Map<String, Any> = o.entrySet().associate { (k, v) ->
        k to (if (v.asJsonPrimitive.isBoolean) v.asBoolean else v.asDouble)
    }

    companion object {
        fun load(optimizer: String): List<GoldenCase> =
            root(optimizer)["cases"].asJsonArray.map { GoldenCase(optimizer, it.asJsonObject) }

        /** The defaults of the torch.optim class's constructor, in Anneal's option names. */
        fun torchDefaults(optimizer: String): Map<String, Any> =
            root(optimizer)["torch_defaults"].asJsonObject.entrySet().associate { (k, v) ->
                k to (if (v.asJsonPrimitive.isBoolean) v.asBoolean else v.asDouble)
            }

        private fun root(optimizer: String): JsonObject {
            val text = GoldenCase::class.java.getResource("/golden/$optimizer.json")!!.readText()
            return JsonParser.parseString(text).asJsonObject
        }
    }
}

class GoldenParam(val name: String, val shape: LongArray, val init: FloatArray)

/** Largest error of a replay: elementwise |got - want| / |want|, and where it happened. */
data class Mismatch(val relative: Double, val where: String)

/**
 * Replays a case: parameters from the fixture, the fixture's gradient at each step, as [deliver]
 * makes it, put in through autograd (the gradient of sum(w * g) is g), then [step] (which must also clear the
 * gradients), comparing every parameter after every step. A parameter without a gradient in a
 * step is frozen for it. Returns the worst relative error: of each element, or, [normwise],
 * against the largest magnitude among all parameters (for updates scaled by a total summed in
 * another order: their last bits differ, which would make an element near zero look far off).
 */
fun replay(
    case: GoldenCase,
    normwise: Boolean = false,
    deliver: (NDArray) -> NDArray = { it },
    step: (Map<String, NDArray>) -> (() -> Unit),
): Mismatch {
    NDManager.newBaseManager().use { manager ->
        val arrays = LinkedHashMap<String, NDArray>()
        for (p in case.params) {
            val array = manager.create(p.init, Shape(*p.shape))
            array.setRequiresGradient(true)
            arrays[p.name] = array
        }
        val stepOnce = step(arrays)
        var worst = Mismatch(0.0, "none")
        for (t in 1..case.steps) {
            val live = case.params.withIndex().filter { (_, p) -> t !in case.frozen[p.name].orEmpty() }
            for (p in case.params) {
                arrays.getValue(p.name).setRequiresGradient(live.any { it.value === p })
            }
            Engine.getInstance().newGradientCollector().use { collector ->
                val terms = live.map { (i, p) ->
                    val weights = arrays.getValue(p.name)
                    weights.mul(deliver(manager.create(case.gradient(i, t, weights.toFloatArray()), Shape(*p.shape)))).sum()
                }
                collector.backward(terms.reduce { a, b -> a.add(b) })
            }
            stepOnce()
            val scale = if (normwise) case.params.maxOf { p -> case.expected(p.name, t).maxOf { abs(it.toDouble()) } } else 0.0
            for (p in case.params) {
                val got = arrays.getValue(p.name).toFloatArray()
                val want = case.expected(p.name, t)
                for (i in want.indices) {
                    val diff = abs(got[i].toDouble() - want[i].toDouble())
                    val rel = if (diff == 0.0) 0.0 else diff / max(max(abs(want[i].toDouble()), scale), Float.MIN_VALUE.toDouble())
                    if (rel > worst.relative) {
                        worst = Mismatch(rel, "${p.name}[$i] at step $t: got ${got[i]}, want ${want[i]}")
                    }
                }
            }
        }
        return worst
    }
}
