package dev.anneal.optim

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import dev.anneal.config.InvalidConfigException
import dev.anneal.grad.LossScale
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.support.GradientGenerator
import dev.anneal.support.backward
import dev.anneal.support.bits
import dev.anneal.support.parameters
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.floats.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain

/**
 * What Prodigy adds to a rule: one distance estimate for the whole optimizer, so the values it
 * reads must agree across groups (checked when compiled and when a group is added), it lives in
 * the state and a restore checks it, and it survives gradients that are all zero and the gradient
 * tools in front of it.
 */
class ProdigySpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }
    val shapes = linkedMapOf("w" to Shape(4, 3), "b" to Shape(4))

    /** One step on the gradient pull * w + noise (a bowl around zero), the noise scaled by [scale]. */
    fun step(optimizer: Optimizer<*>, params: Map<String, NDArray>, t: Long, scale: Float = 1f) {
        backward(manager, params.values.withIndex().filter { it.value.hasGradient() }.associate { (i, w) ->
            val noise = GradientGenerator.values(7, t, i, w.size().toInt(), 0.1)
            val weights = w.toFloatArray()
            w to FloatArray(noise.size) { (noise[it] + weights[it]) * scale }
        })
        optimizer.step()
        optimizer.zeroGrad()
    }

    test("groups that differ in a value the shared estimate reads are refused by group and field before anything is allocated") {
        val params = parameters(manager, shapes)
        for ((field, value) in listOf("lr" to 0.5, "beta2" to 0.99, "beta3" to 0.9, "d0" to 1e-4, "dCoef" to 2.0, "safeguardWarmup" to true)) {
            val spec = Optimizers.prodigy().group("bias", Selector.name("b")) { it.set(field, value) }.build()
            val e = shouldThrow<InvalidConfigException> { spec.compile(ParameterSet.of(params)) }
            withClue(field) {
                e.message shouldContain "optimizer.group[\"bias\"].$field"
                e.message shouldContain "Prodigy keeps one estim_lr and numerator_weighted for all parameters"
            }
        }
        // eps and weight decay are each tensor's own: no decay on biases is the usual group.
        Optimizers.prodigy().weightDecay(0.1)
            .group("bias", Selector.name("b")) { it.set("weightDecay", 0.0).set("eps", 1e-6) }.build()
            .compile(ParameterSet.of(params)).close()
    }

    test("a scheduled d0 is refused, naming it: the estimate starts at it once") {
        val e = shouldThrow<InvalidConfigException> {
            Optimizers.prodigy().d0(dev.anneal.schedule.Schedule { 1e-6 }).build()
        }
        e.message shouldContain "prodigy.d0 must be a constant"
    }

    test("a group added later with another learning rate is refused and the optimizer goes on as it was; one with the same joins") {
        val params = parameters(manager, shapes)
        params.getValue("b").setRequiresGradient(false)
        Optimizers.prodigy().build().compile(ParameterSet.of(params)).use { optimizer ->
            step(optimizer, params, 1)
            val before = optimizer.state().tensors().mapValues { it.value.toFloatArray().bits() }
            params.getValue("b").setRequiresGradient(true)
            val e = shouldThrow<InvalidConfigException> { optimizer.addGroup("late", Selector.name("b")) { it.lr(0.5) } }
            e.message shouldContain "group[\"late\"].lr"
            optimizer.state().tensors().mapValues { it.value.toFloatArray().bits() } shouldBe before
            optimizer.addGroup("late", Selector.name("b")) { it.eps(1e-6) }
            step(optimizer, params, 2)
            optimizer.state().tensors().keys shouldBe setOf("w/exp_avg", "w/exp_avg_sq", "w/grad_sum", "w/params0",
                "b/exp_avg", "b/exp_avg_sq", "b/grad_sum", "b/params0", "estim_lr", "numerator_weighted")
        }
    }

    test("the estimate grows from d0 on a bowl, is saved, and a restore refuses one that is not finite or not positive, changing nothing") {
        val params = parameters(manager, shapes)
        Optimizers.prodigy().build().compile(ParameterSet.of(params)).use { optimizer ->
            for (t in 1L..30L) step(optimizer, params, t)
            val saved = optimizer.state()
            val d = saved.tensors().getValue("estim_lr").getFloat()
            d shouldBeGreaterThan 1e-3f
            for (bad in listOf(Float.NaN, Float.POSITIVE_INFINITY, 0f, -1f)) {
                val tensors = LinkedHashMap(saved.tensors().mapValues { it.value.duplicate() })
                tensors["estim_lr"] = manager.create(bad)
                val corrupt = OptimizerState(saved.optimizer(), saved.step(), saved.skippedSteps(), saved.lossScale(),
                    saved.updates(), tensors)
                val before = optimizer.state().tensors().mapValues { it.value.toFloatArray().bits() }
                val e = shouldThrow<InvalidConfigException> { optimizer.loadState(corrupt) }
                withClue(bad) {
                    e.message shouldContain "estim_lr"
                    optimizer.state().tensors().mapValues { it.value.toFloatArray().bits() } shouldBe before
                }
            }
        }
    }

    context("gradients that are all zero leave the estimate at d0 and the weights finite and in place") {
        withData(Execution.entries) { execution ->
            val params = parameters(manager, shapes)
            val start = params.mapValues { it.value.toFloatArray().bits() }
            Optimizers.prodigy().build().compile(ParameterSet.of(params), execution).use { optimizer ->
                for (t in 1L..5L) step(optimizer, params, t, scale = 0f)
                optimizer.state().tensors().getValue("estim_lr").getFloat() shouldBe 1e-6f
                params.mapValues { it.value.toFloatArray().bits() } shouldBe start
            }
        }
    }

    context("behind clipping that does not bite and a loss scale of 1024, its steps are bit for bit those without them") {
        withData(Execution.entries) { execution ->
            val plain = parameters(manager, shapes)
            val tooled = parameters(manager, shapes)
            Optimizers.prodigy().weightDecay(0.01).build().compile(ParameterSet.of(plain), execution).use { a ->
                Optimizers.prodigy().weightDecay(0.01).clipGradNorm(1e9).lossScale(LossScale.fixed(1024.0, false)).build()
                    .compile(ParameterSet.of(tooled), execution).use { b ->
                        for (t in 1L..20L) {
                            step(a, plain, t)
                            step(b, tooled, t, scale = 1024f)
                        }
                        a.state().tensors().getValue("estim_lr").getFloat() shouldNotBe 1e-6f
                        tooled.mapValues { it.value.toFloatArray().bits() } shouldBe plain.mapValues { it.value.toFloatArray().bits() }
                    }
            }
        }
    }
})
