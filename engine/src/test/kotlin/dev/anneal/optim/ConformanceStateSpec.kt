package dev.anneal.optim

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import dev.anneal.config.InvalidConfigException
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.schedule.Schedule
import dev.anneal.schedule.Schedules
import dev.anneal.state.Checkpoint
import dev.anneal.state.CheckpointFile
import dev.anneal.support.bits
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import kotlin.io.path.createTempDirectory

/**
 * Every optimizer of the engine (the table in Conformance.kt) through the same checks of what a
 * step leaves, on every path: it keeps shapes and types, continues bit for bit after a state round
 * trip and after a checkpoint file, treats two groups as two optimizers would, leaves a frozen
 * parameter alone, and follows a scheduled learning rate.
 */
class ConformanceStateSpec : FunSpec({
    val rows = conformanceRows
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    with(Conformance(manager)) {
        context("keeps every parameter's shape and type, float32 on every path and float64 on the generic one") {
            withData(nameFn = { it.name }, rows) { row ->
                for ((type, execution) in listOf(DataType.FLOAT32 to Execution.FUSED, DataType.FLOAT32 to Execution.GENERIC,
                        DataType.FLOAT32 to Execution.OFFLOAD, DataType.FLOAT64 to Execution.GENERIC)) {
                    val arrays = model(type = type, matrices = row.matrices)
                    val shapes = arrays.mapValues { it.value.shape }
                    spec(row, row.quadraticLr).compile(ParameterSet.of(arrays), execution).use { optimizer ->
                        repeat(5) { step(optimizer, arrays) }
                        arrays.forEach { (name, w) ->
                            withClue("$name, $type, $execution") {
                                w.shape shouldBe shapes.getValue(name)
                                w.dataType shouldBe type
                            }
                        }
                        // State follows the parameter's type; a rule's per-tensor scalars are float32, as PyTorch
                        // keeps them, and so are optimizer-wide ones (Prodigy's); L-BFGS's Python floats and
                        // counters are float64.
                        val chain = GoldenSpecs.chain(row.name)
                        val scalars = chain.scalarNames(chain.defaults()).toSet()
                        val shared = chain.stages().flatMap { it.sharedNames() }.toSet()
                        optimizer.state().tensors().forEach { (key, state) ->
                            val expected = when {
                                '/' !in key && key in Lbfgs.FLOAT64_SCALARS -> DataType.FLOAT64
                                '/' !in key && key in shared -> DataType.FLOAT32
                                key.substringAfter('/') in scalars -> DataType.FLOAT32
                                else -> type
                            }
                            withClue(key) { state.dataType shouldBe expected }
                        }
                    }
                }
            }
        }

        context("continues bit for bit after a state round trip and after a checkpoint file") {
            withData(nameFn = { it.name }, rows) { row ->
                for (execution in Execution.entries) {
                    val arrays = model(matrices = row.matrices)
                    val spec = spec(row, row.quadraticLr)
                    spec.compile(ParameterSet.of(arrays), execution).use { original ->
                        repeat(7) { step(original, arrays) }
                        val viaState = copy(arrays)
                        val viaFile = model(seed = 99, matrices = row.matrices) // other values: the checkpoint must set them
                        val file = createTempDirectory().resolve("c.anneal")
                        CheckpointFile.write(file, Checkpoint.capture(0, 7, ParameterSet.of(arrays), mapOf("o" to original)))
                        spec.compile(ParameterSet.of(viaState), execution).use { restored ->
                            spec.compile(ParameterSet.of(viaFile), execution).use { fromFile ->
                                restored.loadState(original.state())
                                CheckpointFile.read(file, manager).restore(ParameterSet.of(viaFile), mapOf("o" to fromFile))
                                repeat(3) {
                                    step(original, arrays)
                                    step(restored, viaState)
                                    step(fromFile, viaFile)
                                }
                                withClue("$execution, state round trip") { bitsOf(viaState) shouldBe bitsOf(arrays) }
                                withClue("$execution, checkpoint file") { bitsOf(viaFile) shouldBe bitsOf(arrays) }
                                val want = stateBits(original)
                                stateBits(restored) shouldBe want
                                stateBits(fromFile) shouldBe want
                            }
                        }
                    }
                }
            }
        }

        context("two groups update as two optimizers would, and a frozen parameter stays as it was") {
            withData(nameFn = { it.name }, rows) { row ->
                if (row.oneGroup) {
                    for (execution in Execution.entries) {
                        val arrays = model(matrices = row.matrices)
                        arrays.getValue("scale").setRequiresGradient(false)
                        val frozen = arrays.getValue("scale").toFloatArray().bits()
                        val grouped = spec(row, row.quadraticLr) { it.group("slow", Selector.name("bias")) { g -> g.set("lr", row.quadraticLr / 4) } }
                        shouldThrow<InvalidConfigException> { grouped.compile(ParameterSet.of(arrays), execution) }
                            .message shouldContain "groups"
                        spec(row, row.quadraticLr).compile(ParameterSet.of(arrays), execution).use { optimizer ->
                            repeat(20) { step(optimizer, arrays) }
                        }
                        withClue(execution) {
                            arrays.getValue("scale").toFloatArray().bits() shouldBe frozen
                            bitsOf(arrays).getValue("bias") shouldNotBe bitsOf(model(matrices = row.matrices)).getValue("bias")
                        }
                    }
                    return@withData
                }
                for (execution in Execution.entries) {
                    val together = model(matrices = row.matrices)
                    together.getValue("scale").setRequiresGradient(false)
                    val frozen = together.getValue("scale").toFloatArray().bits()
                    val conv = linkedMapOf("conv" to together.getValue("conv").duplicate().also { it.setRequiresGradient(true) })
                    val bias = linkedMapOf("bias" to together.getValue("bias").duplicate().also { it.setRequiresGradient(true) })
                    val grouped = spec(row, row.quadraticLr) { it.group("slow", Selector.name("bias")) { g -> g.set("lr", row.quadraticLr / 4) } }
                    grouped.compile(ParameterSet.of(together), execution).use { both ->
                        spec(row, row.quadraticLr).compile(ParameterSet.of(conv), execution).use { first ->
                            spec(row, row.quadraticLr / 4).compile(ParameterSet.of(bias), execution).use { second ->
                                repeat(20) {
                                    step(both, together)
                                    step(first, conv)
                                    step(second, bias)
                                }
                            }
                        }
                    }
                    withClue(execution) {
                        bitsOf(together).getValue("conv") shouldBe bitsOf(conv).getValue("conv")
                        bitsOf(together).getValue("bias") shouldBe bitsOf(bias).getValue("bias")
                        together.getValue("scale").toFloatArray().bits() shouldBe frozen
                        bitsOf(together).getValue("bias") shouldNotBe bitsOf(model(matrices = row.matrices)).getValue("bias")
                    }
                }
            }
        }

        context("follows a scheduled learning rate: a step schedule continues as a state handed to a second rate") {
            withData(nameFn = { it.name }, rows) { row ->
                val schedule = Schedules.join(listOf(Schedule.constant(row.quadraticLr), Schedule.constant(row.quadraticLr * 0.5)), 5)
                for (execution in Execution.entries) {
                    val scheduled = model(matrices = row.matrices)
                    if (row.name == "rprop") {
                        // Rprop's step sizes start at the learning rate, so it must be a constant.
                        shouldThrow<InvalidConfigException> { spec(row, schedule).compile(ParameterSet.of(scheduled), execution) }
                            .message shouldContain "lr"
                        continue
                    }
                    val handed = model(matrices = row.matrices)
                    spec(row, schedule).compile(ParameterSet.of(scheduled), execution).use { optimizer ->
                        repeat(10) { step(optimizer, scheduled) }
                    }
                    spec(row, row.quadraticLr).compile(ParameterSet.of(handed), execution).use { before ->
                        repeat(5) { step(before, handed) }
                        spec(row, row.quadraticLr * 0.5).compile(ParameterSet.of(handed), execution).use { after ->
                            after.loadState(before.state())
                            repeat(5) { step(after, handed) }
                        }
                    }
                    withClue(execution) { bitsOf(scheduled) shouldBe bitsOf(handed) }
                }
            }
        }
    }
})
