package dev.anneal.optim

import ai.djl.Device
import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.support.GradientGenerator
import dev.anneal.support.backward
import dev.anneal.support.bits
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe

/**
 * State offloaded to host memory (MindSpore's AdamOffload): the same bits as keeping it beside
 * the parameters, every tensor of it in the optimizer's own store on the CPU, and a state that
 * moves between the two ways of running. This machine has no GPU, so the parameters are on the
 * CPU too and the host store is a separate manager there; each update still runs on copies of
 * the weight and gradient, which are written back.
 */
class OffloadSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    fun model(): LinkedHashMap<String, NDArray> {
        val shapes = linkedMapOf("conv.weight" to Shape(4, 3, 3, 3), "conv.bias" to Shape(4), "fc.weight" to Shape(10, 6),
            "scale" to Shape())
        val out = LinkedHashMap<String, NDArray>()
        shapes.entries.forEachIndexed { i, (name, shape) ->
            out[name] = manager.create(GradientGenerator.values(21, 0, i, shape.size().toInt(), 1.0), shape)
                .also { it.setRequiresGradient(true) }
        }
        return out
    }

    /** Adam with AMSGrad, two groups, weight decay off the bias and clipping by the total norm. */
    val spec = Optimizers.adam().lr(1e-2).amsgrad(true).weightDecay(0.01).clipGradNorm(1.0)
        .group("fc", Selector.name("fc.weight")) { it.lr(3e-3).beta2(0.99) }
        .noWeightDecayOn(Selector.name("conv.bias")).build()

    fun run(optimizer: Optimizer<*>, arrays: Map<String, NDArray>, from: Int, to: Int) {
        for (t in from..to) {
            backward(manager, arrays.values.mapIndexed { i, w ->
                w to GradientGenerator.values(77, t.toLong(), i, w.shape.size().toInt(), 2.0)
            }.toMap())
            optimizer.step()
            optimizer.zeroGrad()
        }
    }

    fun bits(arrays: Map<String, NDArray>) = arrays.mapValues { it.value.toFloatArray().bits() }
    fun stateBits(optimizer: Optimizer<*>) = optimizer.state().tensors().mapValues { it.value.toFloatArray().bits() }

    test("offloaded Adam gives the bits of Adam on the fused and the generic path, parameters and state, every step") {
        val runs = Execution.entries.associateWith { model() }
        val optimizers = runs.mapValues { (execution, arrays) -> spec.compile(ParameterSet.of(arrays), execution) }
        try {
            optimizers.getValue(Execution.OFFLOAD).executionOf("fc") shouldBe Execution.OFFLOAD
            for (t in 1..30) {
                optimizers.forEach { (execution, optimizer) -> run(optimizer, runs.getValue(execution), t, t) }
                for (execution in listOf(Execution.FUSED, Execution.GENERIC)) {
                    withClue("$execution at step $t") { bits(runs.getValue(Execution.OFFLOAD)) shouldBe bits(runs.getValue(execution)) }
                }
            }
            stateBits(optimizers.getValue(Execution.OFFLOAD)) shouldBe stateBits(optimizers.getValue(Execution.FUSED))
        } finally {
            optimizers.values.forEach { it.close() }
        }
    }

    test("every state tensor lives in the optimizer's store on the host, apart from the parameters' manager") {
        val arrays = model()
        spec.compile(ParameterSet.of(arrays), Execution.OFFLOAD).use { optimizer ->
            run(optimizer, arrays, 1, 3)
            val state = optimizer.state().tensors()
            state.size shouldBe 3 * arrays.size // exp_avg, exp_avg_sq, max_exp_avg_sq
            state.forEach { (key, tensor) ->
                withClue(key) {
                    tensor.device shouldBe Device.cpu()
                    tensor.manager shouldNotBe manager
                }
            }
        }
    }

    test("a state saved offloaded continues bit for bit beside the parameters, and the other way") {
        for ((from, to) in listOf(Execution.OFFLOAD to Execution.FUSED, Execution.FUSED to Execution.OFFLOAD)) {
            val reference = model()
            val moved = model()
            spec.compile(ParameterSet.of(reference), from).use { first ->
                run(first, reference, 1, 5)
                moved.forEach { (name, w) -> w.set(reference.getValue(name).toFloatArray()) }
                spec.compile(ParameterSet.of(moved), to).use { second ->
                    second.loadState(first.state())
                    run(first, reference, 6, 12)
                    run(second, moved, 6, 12)
                    withClue("$from to $to") { bits(moved) shouldBe bits(reference) }
                }
            }
        }
    }

    test("a float16 parameter's float32 master is offloaded with the state, and the result is the generic path's") {
        fun half(): LinkedHashMap<String, NDArray> = linkedMapOf("w" to manager.create(
            GradientGenerator.values(5, 0, 0, 12, 1.0), Shape(3, 4)).toType(DataType.FLOAT16, false)
            .also { it.setRequiresGradient(true) })
        val offloaded = half()
        val generic = half()
        val adam = Optimizers.adam().lr(1e-2).build()
        adam.compile(ParameterSet.of(offloaded), Execution.OFFLOAD).use { a ->
            adam.compile(ParameterSet.of(generic), Execution.GENERIC).use { b ->
                run(a, offloaded, 1, 10)
                run(b, generic, 1, 10)
                a.state().tensors().getValue("w/master").device shouldBe Device.cpu()
                offloaded.getValue("w").toType(DataType.FLOAT32, false).toFloatArray().bits() shouldBe
                    generic.getValue("w").toType(DataType.FLOAT32, false).toFloatArray().bits()
            }
        }
    }
})
