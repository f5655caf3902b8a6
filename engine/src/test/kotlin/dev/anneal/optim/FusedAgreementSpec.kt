package dev.anneal.optim

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import dev.anneal.grad.ClipGradNorm
import dev.anneal.grad.ClipGradValue
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.support.GradientGenerator
import dev.anneal.support.backward
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import kotlin.random.Random

/**
 * The fused path gives the generic path's bits: random chains among every engine optimizer, some
 * behind gradient clipping (whose total norm each path folds in its own order),
 * hyperparameters drawn from their declared ranges, shapes (some large enough to be split across
 * threads), groups and exemptions, 50 steps, parameters compared after every step and state at
 * the end.
 */
class FusedAgreementSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }
    val steps = 50

    /** One case: [only] fixes the optimizer (one with a fused form rather than a kernel), else it is drawn. */
    data class Config(val seed: Int, val only: Chain? = null) {
        val random = Random(seed)
        val shapes: List<Shape> = List(random.nextInt(1, 5)) { randomShape(random) }
        val spec: OptimizerSpec<*> = randomSpec(random, shapes.size, shapes.any { it.dimension() <= 1 }, only)
        override fun toString() = "seed $seed: ${spec.name()} over ${shapes.joinToString(" ")}"
    }

    fun arrays(config: Config): LinkedHashMap<String, NDArray> {
        val out = LinkedHashMap<String, NDArray>()
        config.shapes.forEachIndexed { i, shape ->
            out["p$i"] = manager.create(GradientGenerator.values(config.seed.toLong(), 0, i, shape.size().toInt(), 1.0), shape)
                .also { it.setRequiresGradient(true) }
        }
        return out
    }

    // A transposed view's memory is not in its own order, so its buffer would be a copy and the
    // fused path's writes would be lost: such a parameter runs on the generic path and moves.
    withData(nameFn = { it.name() }, Optimizers.adam().build(), Optimizers.adafactor().build()) { spec ->
        val base = manager.create(FloatArray(12) { it * 0.25f - 1f }, Shape(3, 4))
        val view = base.transpose().also { it.setRequiresGradient(true) }
        val plain = manager.create(view.toFloatArray(), Shape(4, 3)).also { it.setRequiresGradient(true) }
        spec.compile(ParameterSet.of(mapOf("w" to view)), Execution.FUSED).use { fused ->
            spec.compile(ParameterSet.of(mapOf("w" to plain)), Execution.GENERIC).use { generic ->
                fused.executionOf("default") shouldBe Execution.GENERIC
                for (t in 1..3) {
                    for ((w, optimizer) in listOf(view to fused, plain to generic)) {
                        backward(manager, mapOf(w to GradientGenerator.values(7L, t.toLong(), 0, 12, 0.5)))
                        optimizer.step()
                        optimizer.zeroGrad()
                    }
                    view.toFloatArray().sameBits() shouldBe plain.toFloatArray().sameBits()
                }
                view.toFloatArray().sameBits() shouldNotBe manager.create(FloatArray(12) { it * 0.25f - 1f }, Shape(3, 4))
                    .transpose().toFloatArray().sameBits()
            }
        }
    }

    // Adafactor's fused form is its own Java passes: twenty cases of it besides the drawn ones.
    withData(nameFn = { it.toString() }, (1..80).map { Config(it) } + (1..20).map { Config(it, Adafactor.ADAFACTOR) }) { config ->
        val fusedArrays = arrays(config)
        val genericArrays = arrays(config)
        config.spec.compile(ParameterSet.of(fusedArrays), Execution.FUSED).use { fused ->
            config.spec.compile(ParameterSet.of(genericArrays), Execution.GENERIC).use { generic ->
                fused.groups().map { fused.executionOf(it) }.toSet() shouldBe setOf(Execution.FUSED)
                generic.groups().map { generic.executionOf(it) }.toSet() shouldBe setOf(Execution.GENERIC)
                for (t in 1..steps) {
                    for ((arrays, optimizer) in listOf(fusedArrays to fused, genericArrays to generic)) {
                        backward(manager, arrays.values.mapIndexed { i, w ->
                            w to GradientGenerator.values(config.seed + 1000L, t.toLong(), i, w.shape.size().toInt(), 0.5)
                        }.toMap())
                        optimizer.step()
                        optimizer.zeroGrad()
                    }
                    for ((name, w) in fusedArrays) {
                        withClue("$name after step $t") {
                            w.toFloatArray().sameBits() shouldBe genericArrays.getValue(name).toFloatArray().sameBits()
                        }
                    }
                }
                val fusedState = fused.state().tensors()
                for ((key, value) in generic.state().tensors()) {
                    withClue(key) { fusedState.getValue(key).toFloatArray().sameBits() shouldBe value.toFloatArray().sameBits() }
                }
            }
        }
    }
})

/**
 * Bits, with every NaN as one: a degenerate draw (centered RMSprop with alpha 0, whose variance
 * estimate is a rounding error that may be negative) takes a square root of a negative number on
 * both paths, as PyTorch would, and the NaN's payload is the only thing that differs.
 */
private fun FloatArray.sameBits(): List<Int> = map { it.toBits() }

private fun randomShape(random: Random): Shape = when (random.nextInt(6)) {
    0 -> Shape()
    1 -> Shape(random.nextLong(1, 40))
    2 -> Shape(random.nextLong(1, 9), random.nextLong(1, 9))
    3 -> Shape(random.nextLong(1, 5), random.nextLong(1, 4), 3, 3)
    4 -> Shape(300, random.nextLong(100, 260)) // over one work chunk: split across threads
    else -> Shape(random.nextLong(1, 6), random.nextLong(1, 6), random.nextLong(1, 6))
}

/** Values to draw for each range: every range's edges and common settings, all safe in float32 over 50 steps. */
private val pools = mapOf(
    Hyperparameter.Range.NON_NEGATIVE to listOf(0.0, 0.01, 0.1, 0.5),
    Hyperparameter.Range.POSITIVE to listOf(1e-8, 1e-3, 1.0, 128.0),
    Hyperparameter.Range.NON_POSITIVE to listOf(0.0, -0.25, -0.5, -1.0),
    Hyperparameter.Range.UNIT_INTERVAL to listOf(0.0, 0.5, 0.9, 0.99),
    Hyperparameter.Range.CLOSED_UNIT_INTERVAL to listOf(0.0, 0.3, 1.0),
)

/** A random value of [h] from its declared range. */
private fun draw(random: Random, h: Hyperparameter<*>): Any =
    if (h.isFlag) random.nextBoolean() else pools.getValue(h.range()).random(random)

/** Gradient clipping to put in front of an optimizer: by a norm (2 or inf; global, per group or per tensor) or by value. */
private val clippers: List<Stage> = listOf(ClipGradNorm.L2, ClipGradNorm.INF, ClipGradNorm.L2.perGroup(),
    ClipGradNorm.INF.perGroup(), ClipGradNorm.L2.perTensor(), ClipGradNorm.INF.perTensor(), ClipGradValue.STAGE)

/**
 * A random spec of a random engine optimizer, in one case of three behind a clipping stage: every
 * hyperparameter drawn from its range, groups that override a random part of those a group may
 * hold, and perhaps
 * an exemption from weight decay. Drawn again while the optimizer refuses the combination (SGD's
 * Nesterov without momentum).
 */
private fun randomSpec(random: Random, params: Int, hasVectors: Boolean, only: Chain?): OptimizerSpec<*> {
    // A rule that is neither element-wise nor has a fused form (Muon) has no fused path to agree with.
    val base = only ?: Optimizers.chains()
        .filter { chain -> chain.stages().all { it.elementwise() || it.fusedForm() != null } }.random(random)
    val chain = if (random.nextInt(3) > 0) base else {
        val clip = clippers.random(random)
        val builder = base.toBuilder(base.typeName() + "Clipped", "after $clip").prepend(clip)
        clip.hyperparameters().forEach { h ->
            @Suppress("UNCHECKED_CAST")
            if (h.isFlag) builder.flag(h as Hyperparameter<Boolean>, false)
            else builder.value(h as Hyperparameter<dev.anneal.schedule.Schedule>, 1.0)
        }
        builder.build()
    }
    // What the optimizer-wide scalars read (Prodigy's lr and betas) is one value for all groups.
    val perGroup = chain.hyperparameters() - chain.stages().flatMap { it.optimizerWide() }.toSet()
    while (true) {
        val builder = chain.options()
        chain.hyperparameters().forEach { builder.set(it.name(), draw(random, it)) }
        repeat(random.nextInt(0, minOf(3, params) + 1)) { i ->
            builder.group("g$i", Selector.name("p$i")) { g ->
                perGroup.filter { random.nextBoolean() }.forEach { g.set(it.name(), draw(random, it)) }
            }
        }
        val decays = Hyperparameter.WEIGHT_DECAY in chain.hyperparameters()
        if (random.nextBoolean() && hasVectors && decays) builder.noWeightDecayOn(Selector.oneDimensional())
        try {
            return builder.build()
        } catch (e: dev.anneal.config.InvalidConfigException) {
            continue
        }
    }
}
