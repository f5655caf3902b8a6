package dev.anneal.optim

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import dev.anneal.config.InvalidConfigException
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Schedule
import ai.djl.ndarray.NDScope
import dev.anneal.param.Selector
import dev.anneal.support.GradientGenerator
import dev.anneal.support.backward
import dev.anneal.support.bits
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain

/** The runtime around the update rules: the step counter, values read back, state round trips, closing. */
class OptimizerRuntimeSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    fun arrays(seed: Long): LinkedHashMap<String, NDArray> {
        val shapes = linkedMapOf("conv.weight" to Shape(2, 3, 3, 3), "conv.bias" to Shape(2), "fc.weight" to Shape(4, 5))
        val out = LinkedHashMap<String, NDArray>()
        shapes.entries.forEachIndexed { i, (name, shape) ->
            out[name] = manager.create(GradientGenerator.values(seed, 0, i, shape.size().toInt(), 1.0), shape)
                .also { it.setRequiresGradient(true) }
        }
        return out
    }

    fun train(optimizer: Optimizer<*>, arrays: Map<String, NDArray>, from: Int, to: Int) {
        for (t in from..to) {
            backward(manager, arrays.values.mapIndexed { i, w ->
                w to GradientGenerator.values(77, t.toLong(), i, w.shape.size().toInt(), 1.0)
            }.toMap())
            optimizer.step()
            optimizer.zeroGrad()
        }
    }

    val specs = mapOf(
        "sgd with nesterov" to Optimizers.sgd().lr(0.1).momentum(0.9).nesterov(true).build(),
        "momentum" to Optimizers.momentum().lr(0.05).momentum(0.9).weightDecay(1e-3).build(),
        "adam with amsgrad and a group" to Optimizers.adam().amsgrad(true).group("conv") { it.lr(0.01) }.build(),
        "adamw" to Optimizers.adamW().lr(0.01).build(),
    )

    context("a state taken after 10 steps and loaded into a fresh optimizer continues bit for bit") {
        withData(specs) { spec ->
            val original = arrays(3)
            val copy = arrays(3)
            spec.compile(ParameterSet.of(original)).use { first ->
                train(first, original, 1, 10)
                for ((name, w) in original) {
                    copy.getValue(name).set(w.toFloatArray())
                }
                spec.compile(ParameterSet.of(copy)).use { second ->
                    second.loadState(first.state())
                    second.stepCount() shouldBe 10
                    train(first, original, 11, 20)
                    train(second, copy, 11, 20)
                    for ((name, w) in original) {
                        copy.getValue(name).toFloatArray().bits() shouldBe w.toFloatArray().bits()
                    }
                }
            }
        }
    }

    test("the step counter advances once per step, whatever the number of parameters and groups") {
        val params = arrays(1)
        Optimizers.adam().group("conv") { it.lr(0.1) }.build().compile(ParameterSet.of(params)).use { optimizer ->
            optimizer.stepCount() shouldBe 0
            train(optimizer, params, 1, 3)
            optimizer.stepCount() shouldBe 3
        }
    }

    test("current values of each group are readable, with group overrides") {
        Optimizers.sgd().lr(0.1).momentum(0.9).group("bias", Selector.glob("*.bias")) { it.lr(0.2).momentum(0.0) }
            .build().compile(ParameterSet.of(arrays(1))).use { optimizer ->
                optimizer.groups() shouldContainExactly listOf("default", "bias")
                optimizer.currentValues("default")["lr"] shouldBe 0.1
                optimizer.currentValues("bias") shouldBe mapOf(
                    "lr" to 0.2, "momentum" to 0.0, "dampening" to 0.0, "weightDecay" to 0.0,
                    "nesterov" to false, "maximize" to false,
                )
                shouldThrow<IllegalArgumentException> { optimizer.currentValues("head") }.message shouldContain "groups are"
            }
    }

    test("a state from another optimizer or other parameters is refused with what differs") {
        val params = arrays(1)
        Optimizers.adam().build().compile(ParameterSet.of(params)).use { adam ->
            Optimizers.sgd().momentum(0.9).build().compile(ParameterSet.of(params)).use { sgd ->
                val e = shouldThrowExactly<InvalidConfigException> { adam.loadState(sgd.state()) }
                e.violations().map { it.path() } shouldContainExactly listOf("state.optimizer", "state.tensors")
                e.message shouldContain "is sgd, expected adam"
            }
        }
    }

    test("a parameter unfrozen after compiling stops the step until a group takes it; zeroGrad clears it meanwhile") {
        val a = manager.ones(Shape(3)).also { it.setRequiresGradient(true) }
        val b = manager.ones(Shape(2)) // frozen when compiled
        val arrays = linkedMapOf("a" to a, "b" to b)
        Optimizers.sgd().lr(0.5).build().compile(ParameterSet.of(arrays)).use { optimizer ->
            b.setRequiresGradient(true)
            backward(manager, mapOf(a to floatArrayOf(1f, 1f, 1f), b to floatArrayOf(2f, 2f)))
            val e = shouldThrowExactly<InvalidConfigException> { optimizer.step() }
            e.message shouldContain "trainable parameters b"
            e.message shouldContain "addGroup"
            a.toFloatArray().toList() shouldBe listOf(1f, 1f, 1f) // refused before touching anything
            optimizer.stepCount() shouldBe 0
            optimizer.zeroGrad()
            b.gradient.toFloatArray().toList() shouldBe listOf(0f, 0f)

            optimizer.addGroup("late", Selector.name("b")) { it.lr(0.25) }
            backward(manager, mapOf(a to floatArrayOf(1f, 1f, 1f), b to floatArrayOf(2f, 2f)))
            optimizer.step()
            a.toFloatArray().toList() shouldBe listOf(0.5f, 0.5f, 0.5f)
            b.toFloatArray().toList() shouldBe listOf(0.5f, 0.5f)
        }
    }

    test("a scheduled value out of range stops the step that reaches it, naming field, value and step") {
        val params = arrays(1)
        val beta1 = Schedule { step -> if (step >= 3) 1.0 else 0.9 }
        Optimizers.adam().beta1(beta1).build().compile(ParameterSet.of(params)).use { optimizer ->
            train(optimizer, params, 1, 2)
            val e = shouldThrowExactly<InvalidConfigException> { train(optimizer, params, 3, 3) }
            e.violations().map { it.toString() } shouldContainExactly listOf(
                "optimizer.adam.beta1 must be in [0.0, 1.0), got 1.0 at step 3",
            )
        }
    }

    context("no array is left behind in the parameters' manager") {
        withData(nameFn = { it.name }, Execution.entries) { execution ->
            NDManager.newBaseManager().use { own ->
                val params = LinkedHashMap<String, NDArray>()
                listOf(Shape(4, 5), Shape(3), Shape()).forEachIndexed { i, shape ->
                    params["p$i"] = own.create(GradientGenerator.values(9, 0, i, shape.size().toInt(), 1.0), shape)
                        .also { it.setRequiresGradient(true) }
                }
                Optimizers.adam().amsgrad(true).weightDecay(0.01).build()
                    .compile(ParameterSet.of(params), execution).use { optimizer ->
                        fun run(steps: Int) = repeat(steps) {
                            NDScope().use { backward(own, params.values.associateWith { w -> FloatArray(w.shape.size().toInt()) { 0.1f } }) }
                            optimizer.step()
                            optimizer.zeroGrad()
                        }
                        run(3)
                        val saved = optimizer.state()
                        val before = own.managedArrays.size
                        run(50)
                        optimizer.loadState(saved)
                        own.managedArrays.size shouldBe before
                    }
            }
        }
    }

    test("a closed optimizer refuses to step") {
        val optimizer = Optimizers.sgd().build().compile(ParameterSet.of(arrays(1)))
        optimizer.close()
        shouldThrow<IllegalStateException> { optimizer.step() }.message shouldBe "this optimizer is closed"
    }
})
