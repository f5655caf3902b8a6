package dev.anneal.optim

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import dev.anneal.config.InvalidConfigException
import dev.anneal.grad.ClipGradNorm
import dev.anneal.grad.NonFinite
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.schedule.Precomputed
import dev.anneal.schedule.Schedule
import dev.anneal.support.bits
import dev.anneal.support.stepGradients
import dev.anneal.support.stepSnapshot
import dev.anneal.support.threeParameters
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/**
 * A step that is refused changes nothing: parameters, every state tensor, every update count
 * and the step counter stay bit for bit as they were, on both paths, even when the problem is
 * found in the last group, after others could have been updated. The next step is refused too,
 * rather than silently skipping one.
 */
class StepRefusalSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    fun arrays() = threeParameters(manager)

    fun gradients(arrays: Map<String, NDArray>, t: Long, nan: Boolean = false) =
        stepGradients(manager, arrays, t, bad = if (nan) Float.NaN else null)

    fun snapshot(optimizer: Optimizer<*>, arrays: Map<String, NDArray>) = stepSnapshot(optimizer, arrays)

    /** A schedule for the last group: fine for two steps, then [bad] from step 3. */
    fun lateSchedule(bad: (Long) -> Double) = Schedule { t -> if (t < 3) 1e-3 else bad(t) }

    data class Refusal(val description: String, val spec: () -> OptimizerSpec<*>, val path: String, val fragment: String)

    val late = Selector.name("late.bias")
    val rows = listOf(
        Refusal("a NaN learning rate", {
            Optimizers.adam().group("late", late) { it.lr(lateSchedule { Double.NaN }) }.build()
        }, "optimizer.group[\"late\"].adam.lr", "got NaN at step 3"),
        Refusal("a negative learning rate", {
            Optimizers.sgd().momentum(0.9).group("late", late) { it.lr(lateSchedule { -0.5 }) }.build()
        }, "optimizer.group[\"late\"].sgd.lr", "got -0.5 at step 3"),
        Refusal("a beta1 that reaches 1", {
            Optimizers.adam().group("late", late) { it.beta1(Schedule { t -> if (t < 3) 0.9 else 1.0 }) }.build()
        }, "optimizer.group[\"late\"].adam.beta1", "must be in [0.0, 1.0), got 1.0 at step 3"),
        Refusal("a learning rate beyond float32", {
            Optimizers.adamW().group("late", late) { it.lr(lateSchedule { 1e39 }) }.build()
        }, "optimizer.group[\"late\"].adamw.lr", "float32"),
        Refusal("an eps that is zero in float32", {
            Optimizers.adam().group("late", late) { it.eps(Schedule { t -> if (t < 3) 1e-8 else 1e-50 }) }.build()
        }, "optimizer.group[\"late\"].adam.eps", "float32"),
        Refusal("a precomputed list that runs out", {
            Optimizers.lion().group("late", late) { it.lr(Precomputed.of(1e-4, 1e-4)) }.build()
        }, "optimizer.group[\"late\"].lion.lr", "outside the precomputed schedule"),
        Refusal("a schedule that throws", {
            Optimizers.momentum().lr(0.01).momentum(0.9)
                .group("late", late) { it.lr(lateSchedule { error("the lookup table is gone") }) }.build()
        }, "optimizer.group[\"late\"].momentum.lr", "the lookup table is gone"),
    )

    for (execution in Execution.entries) {
        context("a refused step changes nothing on the ${execution.name.lowercase()} path") {
            withData(nameFn = { it.description }, rows) { row ->
                val params = arrays()
                row.spec().compile(ParameterSet.of(params), execution).use { optimizer ->
                    for (t in 1L..2L) {
                        gradients(params, t)
                        optimizer.step()
                        optimizer.zeroGrad()
                    }
                    gradients(params, 3)
                    val before = snapshot(optimizer, params)
                    repeat(2) {
                        val e = shouldThrowExactly<InvalidConfigException> { optimizer.step() }
                        e.violations().single().path() shouldBe row.path
                        e.message shouldContain row.fragment
                        snapshot(optimizer, params) shouldBe before
                    }
                }
            }
        }

        context("a reduction that refuses the step changes nothing on the ${execution.name.lowercase()} path") {
            test("clipping with errorIfNonfinite and a NaN gradient in the last parameter, the policy applying it") {
                val spec = Optimizers.adam().clipGradNorm(ClipGradNorm.L2, Schedule.constant(1.0), true)
                    .onNonFinite(NonFinite.APPLY).build()
                val params = arrays()
                spec.compile(ParameterSet.of(params), execution).use { optimizer ->
                    gradients(params, 1)
                    optimizer.step()
                    optimizer.zeroGrad()
                    gradients(params, 2, nan = true)
                    val before = snapshot(optimizer, params)
                    val norm = optimizer.gradNorm()
                    norm.isFinite() shouldBe true
                    val e = shouldThrowExactly<ArithmeticException> { optimizer.step() }
                    e.message shouldContain "2-norm of the gradients is NaN at step 2"
                    snapshot(optimizer, params) shouldBe before
                    optimizer.gradNorm() shouldBe norm // the last step taken's norm, not the refused one's
                }
            }
        }
    }

    test("a second thread's step is refused while one is running, and nothing interleaves") {
        val params = arrays()
        val entered = CountDownLatch(1)
        val release = CountDownLatch(1)
        val spec = Optimizers.sgd().lr(Schedule { t ->
            if (t == 2L) {
                entered.countDown()
                release.await(10, TimeUnit.SECONDS)
            }
            0.1
        }).build()
        spec.compile(ParameterSet.of(params)).use { optimizer ->
            gradients(params, 1)
            optimizer.step()
            val pool = Executors.newSingleThreadExecutor()
            try {
                val first = pool.submit { optimizer.step() }
                entered.await(10, TimeUnit.SECONDS) shouldBe true
                val e = shouldThrowExactly<IllegalStateException> { optimizer.step() }
                e.message shouldContain "in use by thread"
                release.countDown()
                first.get(10, TimeUnit.SECONDS)
                optimizer.stepCount() shouldBe 2
            } finally {
                pool.shutdownNow()
            }
        }
    }

    test("a learning rate that flushes to zero in float32 is allowed: it stops the updates, nothing breaks") {
        val params = arrays()
        val before = params.mapValues { it.value.toFloatArray().bits() }
        Optimizers.sgd().lr(1e-50).build().compile(ParameterSet.of(params)).use { optimizer ->
            gradients(params, 1)
            optimizer.step()
            withClue("parameters") { params.mapValues { it.value.toFloatArray().bits() } shouldBe before }
        }
    }
})
