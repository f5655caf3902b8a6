package dev.anneal.optim

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import dev.anneal.grad.ClipGradNorm
import dev.anneal.grad.LossScale
import dev.anneal.grad.NonFinite
import dev.anneal.param.ParameterSet
import dev.anneal.grad.ScaleGradients
import dev.anneal.param.Selector
import dev.anneal.schedule.Schedule
import dev.anneal.support.GradientGenerator
import dev.anneal.support.bits
import dev.anneal.support.stepGradients
import dev.anneal.support.stepSnapshot
import dev.anneal.support.threeParameters
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.plusOrMinus
import io.kotest.matchers.doubles.shouldBeNaN
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import kotlin.math.sqrt

/**
 * Gradients with NaN or infinity, and loss scaling: a step that stops or is dropped changes no
 * parameter, state tensor, update count or step counter, on both paths; a dropped step is counted
 * and moves the loss scale as its rule says; unscaling is exact, and the reported norm is the
 * norm of the unscaled gradients.
 */
class NonFiniteSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    fun arrays() = threeParameters(manager)

    fun gradients(arrays: Map<String, NDArray>, t: Long, scale: Float = 1f, bad: Float? = null) =
        stepGradients(manager, arrays, t, scale, bad)

    test("the generic path counts NaN and both infinities, in Java over float32 host memory as libtorch does for float64") {
        // Over four of the Java pass's blocks, with the largest finite values beside the bad ones.
        val values = FloatArray(3 * FusedBucket.BLOCK + 5) { (it % 7 - 3) * 0.5f }
        values[0] = Float.NaN
        values[FusedBucket.BLOCK] = Float.POSITIVE_INFINITY
        values[values.size - 1] = Float.NEGATIVE_INFINITY
        values[1] = Float.MAX_VALUE
        values[2] = -Float.MAX_VALUE
        FiniteCheck.count(manager.create(values)) shouldBe 3L
        FiniteCheck.count(manager.create(values.map { it.toDouble() }.toDoubleArray())) shouldBe 3L
        FiniteCheck.count(manager.create(FloatArray(0))) shouldBe 0L
    }

    fun snapshot(optimizer: Optimizer<*>, arrays: Map<String, NDArray>) = stepSnapshot(optimizer, arrays)

    /** One good step, then gradients with [bad]: returns the optimizer and the parameters, ready to step. */
    fun afterOneStep(spec: OptimizerSpec<*>, execution: Execution, bad: Float): Pair<Optimizer<*>, Map<String, NDArray>> {
        val params = arrays()
        val optimizer = spec.compile(ParameterSet.of(params), execution)
        gradients(params, 1, optimizer.lossScale())
        optimizer.step()
        optimizer.zeroGrad()
        gradients(params, 2, optimizer.lossScale(), bad)
        return optimizer to params
    }

    test("among 300 small tensors, checked in groups across cores, the one NaN is found and named (fused)") {
        val params = (0 until 300).associate { i -> "p$i" to manager.randomNormal(ai.djl.ndarray.types.Shape(300)) }
        params.values.forEach { it.setRequiresGradient(true) }
        val optimizer = Optimizers.adam().build().compile(ParameterSet.of(params), Execution.FUSED)
        optimizer.use {
            for (bad in listOf(null, 217)) {
                ai.djl.engine.Engine.getInstance().newGradientCollector().use { collector ->
                    var loss: NDArray? = null
                    for ((name, w) in params) {
                        val c = FloatArray(300) { 1e-3f }
                        if (name == "p$bad") c[123] = Float.NaN
                        val term = w.mul(manager.create(c)).sum()
                        loss = loss?.add(term) ?: term
                    }
                    collector.backward(loss)
                }
                if (bad == null) {
                    optimizer.step()
                    optimizer.zeroGrad()
                } else {
                    val before = snapshot(optimizer, params)
                    val e = shouldThrowExactly<ArithmeticException> { optimizer.step() }
                    e.message shouldContain "the gradients of p217 (1 of 300 values) are NaN or infinite at step 2"
                    snapshot(optimizer, params) shouldBe before
                }
            }
        }
    }

    for (execution in Execution.entries) {
        val path = execution.name.lowercase()

        for (bad in listOf(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY)) {
            test("by default a $bad gradient stops the step, names the parameter and changes nothing ($path)") {
                val (optimizer, params) = afterOneStep(Optimizers.adam().build(), execution, bad)
                optimizer.use {
                    val before = snapshot(optimizer, params)
                    repeat(2) {
                        val e = shouldThrowExactly<ArithmeticException> { optimizer.step() }
                        e.message shouldBe "the gradients of late.bias (1 of 3 values) are NaN or infinite at step 2; " +
                            "nothing was updated (onNonFinite = STOP; SKIP drops such steps and counts them)"
                        snapshot(optimizer, params) shouldBe before
                    }
                    optimizer.skippedSteps() shouldBe 0
                }
            }
        }

        // Behind clipping the check rides on the clipping's read of the gradients: it must still see them as they came in.
        for (clip in listOf(ClipGradNorm.L2, ClipGradNorm.INF, ClipGradNorm.L2.perGroup(), ClipGradNorm.L2.perTensor())) {
            test("behind $clip a NaN or infinite gradient still stops the step before the norm is used, and a dropped one changes nothing ($path)") {
                val stopping = Optimizers.adam().clipGradNorm(clip, Schedule.constant(0.5), true).build()
                // Without a stage before it, the norm's own fold is the check: NaN and +inf both survive it.
                for (bad in listOf(Float.NaN, Float.POSITIVE_INFINITY)) {
                    val (optimizer, params) = afterOneStep(stopping, execution, bad)
                    optimizer.use {
                        val before = snapshot(optimizer, params)
                        val e = shouldThrowExactly<ArithmeticException> { optimizer.step() }
                        e.message shouldContain "the gradients of late.bias (1 of 3 values) are NaN or infinite at step 2"
                        snapshot(optimizer, params) shouldBe before
                    }
                }
                val dropping = Optimizers.adam().clipGradNorm(clip, Schedule.constant(0.5), false)
                    .lossScale(LossScale.dynamic()).build()
                val (scaled, scaledParams) = afterOneStep(dropping, execution, Float.NEGATIVE_INFINITY)
                scaled.use {
                    val before = snapshot(scaled, scaledParams)
                    scaled.step()
                    snapshot(scaled, scaledParams) shouldBe before
                    scaled.skippedSteps() shouldBe 1
                    scaled.lossScale() shouldBe 32768f
                    scaled.gradNorm().shouldBeNaN()
                }
            }
        }

        test("a group that does not reduce still has its gradients checked beside one that does ($path)") {
            val chain = Sgd.SGD.toBuilder("SgdClippedInOneGroup", "SGD clipping only where a group asks")
                .prepend(ClipWhenAsked).flag(ClipWhenAsked.ASKED, false).build()
            val spec = chain.options().group("conv", Selector.name("conv.weight")) { it.set("clipAsked", true) }.build()
            val (optimizer, params) = afterOneStep(spec, execution, Float.NaN)
            optimizer.use {
                val before = snapshot(optimizer, params)
                shouldThrowExactly<ArithmeticException> { optimizer.step() }.message shouldContain "late.bias (1 of 3 values)"
                snapshot(optimizer, params) shouldBe before
            }
        }

        test("SKIP drops the step, counts it, and the next step is step 2 ($path)") {
            val spec = Optimizers.sgd().momentum(0.9).onNonFinite(NonFinite.SKIP).build()
            val (optimizer, params) = afterOneStep(spec, execution, Float.NaN)
            optimizer.use {
                val before = snapshot(optimizer, params)
                optimizer.step()
                snapshot(optimizer, params) shouldBe before
                optimizer.skippedSteps() shouldBe 1
                optimizer.zeroGrad()
                gradients(params, 3)
                optimizer.step()
                optimizer.stepCount() shouldBe 2
                optimizer.skippedSteps() shouldBe 1
            }
        }

        test("APPLY updates with the NaN, as torch.optim does ($path)") {
            val spec = Optimizers.sgd().onNonFinite(NonFinite.APPLY).build()
            val (optimizer, params) = afterOneStep(spec, execution, Float.NaN)
            optimizer.use {
                optimizer.step()
                params.getValue("late.bias").toFloatArray()[0].isNaN() shouldBe true
                optimizer.stepCount() shouldBe 2
            }
        }

        test("APPLY updates layer-wise rules with a NaN or infinite norm too, rather than refusing part way ($path)") {
            for ((spec, bad) in listOf(Optimizers.novoGrad().onNonFinite(NonFinite.APPLY).build() to Float.NaN,
                    Optimizers.lamb().lr(1e-3).onNonFinite(NonFinite.APPLY).build() to Float.POSITIVE_INFINITY)) {
                val (optimizer, params) = afterOneStep(spec, execution, bad)
                optimizer.use {
                    optimizer.step()
                    withClue(spec.name()) {
                        params.getValue("late.bias").toFloatArray()[0].isNaN() shouldBe true
                        optimizer.stepCount() shouldBe 2
                    }
                }
            }
        }

        test("APPLY leaves Adafactor's other elements finite, as torch's Python max(1, NaN) keeps its clip at 1 ($path)") {
            val (optimizer, params) = afterOneStep(Optimizers.adafactor().onNonFinite(NonFinite.APPLY).build(), execution, Float.NaN)
            optimizer.use {
                optimizer.step()
                val bias = params.getValue("late.bias").toFloatArray()
                bias[0].isNaN() shouldBe true
                bias.drop(1).all { it.isFinite() } shouldBe true
            }
        }

        test("a dynamic scale drops an overflowing step, halves, and changes nothing else ($path)") {
            val spec = Optimizers.adam().lossScale(LossScale.dynamic()).build()
            val (optimizer, params) = afterOneStep(spec, execution, Float.POSITIVE_INFINITY)
            optimizer.use {
                optimizer.lossScale() shouldBe 65536f
                val before = snapshot(optimizer, params)
                optimizer.step()
                snapshot(optimizer, params) shouldBe before
                optimizer.lossScale() shouldBe 32768f
                optimizer.skippedSteps() shouldBe 1
                optimizer.stepCount() shouldBe 1
            }
        }

        test("a fixed scale that drops overflows keeps its scale; one that does not leaves the step to the policy ($path)") {
            val dropping = Optimizers.adam().lossScale(LossScale.fixed(1024.0, true)).build()
            afterOneStep(dropping, execution, Float.NaN).first.use { optimizer ->
                optimizer.step()
                optimizer.skippedSteps() shouldBe 1
                optimizer.lossScale() shouldBe 1024f
            }
            val keeping = Optimizers.adam().lossScale(LossScale.fixed(1024.0, false)).build()
            afterOneStep(keeping, execution, Float.NaN).first.use { optimizer ->
                shouldThrowExactly<ArithmeticException> { optimizer.step() }.message shouldContain "late.bias"
            }
            val applying = Optimizers.adam().lossScale(LossScale.fixed(1024.0, false)).onNonFinite(NonFinite.APPLY).build()
            val (optimizer, params) = afterOneStep(applying, execution, Float.NaN)
            optimizer.use {
                optimizer.step()
                optimizer.stepCount() shouldBe 2
                params.getValue("late.bias").toFloatArray()[0].isNaN() shouldBe true
            }
        }

        test("gradients scaled by a power of two are unscaled exactly: the same bits as without scaling ($path)") {
            fun run(spec: OptimizerSpec<*>): List<Int> {
                val params = arrays()
                spec.compile(ParameterSet.of(params), execution).use { optimizer ->
                    for (t in 1L..5L) {
                        gradients(params, t, optimizer.lossScale())
                        optimizer.step()
                        optimizer.zeroGrad()
                    }
                }
                return params.values.flatMap { it.toFloatArray().bits() }
            }
            // SGD, whose update is proportional to the gradient: with Adam a scale left in would hide under eps.
            run(Optimizers.sgd().lr(0.1).momentum(0.9).lossScale(LossScale.fixed(4096.0, true)).build()) shouldBe
                run(Optimizers.sgd().lr(0.1).momentum(0.9).build())
        }

        test("the reported norm is that of the unscaled gradients, before clipping ($path)") {
            val spec = Optimizers.sgd().clipGradNorm(ClipGradNorm.L2, Schedule.constant(0.5), false)
                .lossScale(LossScale.fixed(256.0, true)).build()
            val params = arrays()
            spec.compile(ParameterSet.of(params), execution).use { optimizer ->
                optimizer.gradNorm().shouldBeNaN()
                gradients(params, 1, optimizer.lossScale())
                optimizer.step()
                val squares = params.values.indices.sumOf { i ->
                    GradientGenerator.values(9, 1, i, params.values.elementAt(i).shape.size().toInt(), 1.0)
                        .sumOf { it.toDouble() * it }
                }
                optimizer.gradNorm() shouldBe (sqrt(squares) plusOrMinus 1e-12 * sqrt(squares))
            }
            Optimizers.sgd().build().compile(ParameterSet.of(arrays()), execution).use { it.gradNorm().shouldBeNaN() }
        }
    }

    test("specs differ by their loss scale and policy") {
        Optimizers.adam().lossScale(LossScale.dynamic()).build() shouldNotBe Optimizers.adam().build()
        Optimizers.adam().onNonFinite(NonFinite.SKIP).build() shouldNotBe Optimizers.adam().build()
        Optimizers.adam().lossScale(LossScale.dynamic()).build() shouldBe Optimizers.adam().lossScale(LossScale.dynamic()).build()
        withClue("no scaling is the default") { Optimizers.adam().build().lossScale() shouldBe LossScale.none() }
    }
})

/** Halves the gradients of the groups that ask, after a norm per group: a reduction only some groups declare. */
private object ClipWhenAsked : Stage {
    val ASKED: Hyperparameter<Boolean> = Hyperparameter.flag("clipAsked", "Halves this group's gradients after folding their norm.")

    override fun kind() = Stage.Kind.GRADIENT

    override fun hyperparameters(): List<Hyperparameter<*>> = listOf(ASKED)

    override fun reductions(h: Hyperparams): List<Reduction> =
        if (h.flag(ASKED)) listOf(Reduction(Reduction.Fold.SUM_OF_SQUARES, Reduction.Scope.GROUP)) else emptyList()

    override fun reduced(h: Hyperparams, step: Long, totals: DoubleArray): Stage = ScaleGradients(0.5f)

    override fun apply(weight: NDArray, grad: NDArray, state: Array<NDArray>, h: Hyperparams, step: Long, count: Long): NDArray = grad

    override fun kernel(h: Hyperparams, step: Long, count: Long): ElementKernel? = null
}
