package dev.anneal.optim

import ai.djl.engine.Engine
import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.NDScope
import ai.djl.ndarray.index.NDIndex
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import dev.anneal.config.InvalidConfigException
import dev.anneal.internal.FusedOps
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.schedule.Schedule
import dev.anneal.schedule.Schedules
import dev.anneal.state.Checkpoint
import dev.anneal.state.CheckpointFile
import dev.anneal.support.GradientGenerator
import dev.anneal.support.bits
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.doubles.shouldBeLessThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import kotlin.io.path.createTempDirectory
import kotlin.math.sqrt

/**
 * Every optimizer of the engine through the same checks, on every path: it converges on a
 * quadratic and on Rosenbrock's function within the steps its row states, stays finite and
 * converged for 10,000 steps (on the fused path; 2,000 on the others, where all agree), keeps
 * shapes and types, continues bit for bit after a state round trip and after a checkpoint file, treats two groups as two optimizers would, leaves a frozen
 * parameter alone, and follows a scheduled learning rate; the fused path and the offloaded state give the
 * generic path's bits.
 */
class ConformanceSpec : FunSpec({
    /**
     * How an optimizer is run: the learning rate for the quadratic, and for Rosenbrock's function
     * (from (-1.2, 1), where it is 24.2) the rate, the steps and the value it must be below after them.
     * A layer-wise rule scales each tensor's step by the tensor's weight norm (LAMB, LARS, and
     * Adafactor's relative step), so a scalar cannot pass through zero, or only at a crawl: its
     * quadratic has the scalar's minimum on the side it starts. A rule for
     * matrices only (Muon) gets the same values as 2-D parameters. A rule with one set of values
     * over all parameters (L-BFGS, as PyTorch's) refuses two groups with different values.
     */
    data class Row(val name: String, val quadraticLr: Double, val rosenbrockLr: Double, val rosenbrockSteps: Int,
                   val rosenbrockBelow: Double, val extra: Map<String, Any> = emptyMap(), val layerWise: Boolean = false,
                   val matrices: Boolean = false, val oneGroup: Boolean = false) {
    }

    val rows = listOf(
        Row("adabelief", 0.01, 0.03, 3000, 1e-3),
        // Adafactor's second moment forgets ever more slowly (rate t^-0.8): 2.3e-2 on Rosenbrock after
        // 5,000 steps, written out in torch.
        Row("adafactor", 0.01, 0.01, 5000, 0.05, layerWise = true),
        Row("adadelta", 1.0, 0.1, 5000, 0.05),
        Row("adagrad", 0.1, 1.0, 5000, 1e-3),
        // AdEMAMix's slow average (beta3 0.9999) makes it slow at lr 0.01: still 1.3 % of the start at step 2,000.
        Row("ademamix", 0.1, 0.1, 5000, 1e-3),
        Row("adam", 0.01, 0.03, 3000, 1e-3),
        Row("adamw", 0.01, 0.03, 5000, 1e-3),
        Row("adamweightdecay", 0.01, 0.01, 5000, 1e-3),
        Row("adamax", 0.01, 0.1, 3000, 1e-3),
        Row("adan", 0.01, 3e-3, 3000, 1e-3),
        Row("asgd", 0.01, 1e-3, 5000, 0.01),
        Row("ftrl", 0.1, 0.3, 5000, 1e-3),
        // LAMB's steps are lr times each tensor's weight norm, so they do not shrink near the minimum:
        // written out in torch it circles Rosenbrock's within f ~ 1e-2 once there (by step 2,500 at lr 0.01).
        Row("lamb", 3e-3, 0.01, 5000, 0.05, layerWise = true),
        Row("lars", 0.1, 0.1, 3000, 1e-3, mapOf("momentum" to 0.9, "coefficient" to 0.01), layerWise = true),
        // Lion moves every coordinate by lr each step, so it circles the minimum at that distance.
        Row("lion", 1e-3, 1e-3, 5000, 0.01),
        Row("lazyadam", 0.01, 0.01, 5000, 1e-3),
        // One L-BFGS step runs up to maxIter iterations; a history of 10 keeps 10,000 steps quick.
        Row("lbfgs", 1.0, 1.0, 10, 1e-6, mapOf("strongWolfe" to true, "historySize" to 10.0), oneGroup = true),
        Row("mindsporeadam", 0.01, 0.01, 5000, 1e-3),
        Row("momentum", 0.01, 3e-3, 1000, 1e-3, mapOf("momentum" to 0.9)),
        // Muon's orthogonalised steps keep their size, so it circles Rosenbrock's minimum at f ~ 2e-3.
        Row("muon", 3e-3, 3e-3, 3000, 0.01, matrices = true),
        Row("nadam", 0.01, 0.01, 5000, 1e-3),
        Row("nadamw", 0.01, 0.01, 5000, 1e-3),
        // NovoGrad divides each tensor's gradient by its norm, so its steps do not shrink near the
        // minimum: it settles within a few lr of it (1.1e-4 at lr 1e-3 on Rosenbrock, written out in torch).
        Row("novograd", 0.01, 1e-3, 3000, 1e-3),
        Row("proximaladagrad", 0.1, 0.3, 5000, 1e-3),
        // RAdam is slow on this valley: torch's own RAdam is at 0.432 after the same 5000 steps.
        Row("radam", 0.01, 3e-3, 5000, 0.5),
        Row("radamw", 0.01, 3e-3, 5000, 0.5),
        Row("rmsprop", 0.01, 1e-3, 5000, 1e-3),
        Row("rprop", 0.01, 0.01, 3000, 1e-3),
        // Rosenbrock's valley is slow for the averaged weights: 4.5e-4 and 7.4e-4 written out in torch.
        Row("schedulefreeadamw", 0.01, 0.03, 5000, 2e-3),
        Row("schedulefreesgd", 0.1, 1e-3, 5000, 5e-3),
        Row("sgd", 0.1, 1e-3, 5000, 0.01),
        Row("sparseadam", 0.01, 0.03, 3000, 1e-3),
        Row("yogi", 0.01, 0.03, 3000, 1e-3),
    )

    test("the table has a row for every optimizer of the engine") {
        rows.map { it.name }.toSet() shouldBe Optimizers.chains().map { it.name() }.toSet()
    }

    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    fun spec(row: Row, lr: Any, groups: (Options) -> Unit = {}): OptimizerSpec<*> {
        val options = GoldenSpecs.chain(row.name).options()
        options.set("lr", lr)
        row.extra.forEach { (k, v) -> options.set(k, v) }
        groups(options)
        return options.build()
    }

    /** Parameters from a scalar to 4-D, with values in (-1, 1); the same values as matrices when told. */
    fun model(seed: Long = 3, type: DataType = DataType.FLOAT32, matrices: Boolean = false): LinkedHashMap<String, NDArray> {
        val shapes = if (matrices) linkedMapOf("conv" to Shape(6, 4), "bias" to Shape(1, 3), "scale" to Shape(1, 1))
        else linkedMapOf("conv" to Shape(2, 3, 2, 2), "bias" to Shape(3), "scale" to Shape())
        val out = LinkedHashMap<String, NDArray>()
        shapes.entries.forEachIndexed { i, (name, shape) ->
            out[name] = manager.create(GradientGenerator.values(seed, 0, i, shape.size().toInt(), 1.0), shape).toType(type, false)
                .also { it.setRequiresGradient(true) }
        }
        return out
    }

    /** The quadratic's curvatures, in [0.5, 2], and its minimum, per parameter. */
    val curvature = model(11).mapValues { (_, a) -> a.abs().mul(1.5f).add(0.5f).also { it.setRequiresGradient(false) } }
    val minimum = model(12).mapValues { (_, c) -> c.also { it.setRequiresGradient(false) } }
    /** The minimum with each scalar on the side it starts, for layer-wise rules. */
    val sameSide = minimum.mapValues { (name, c) ->
        if (c.shape.dimension() == 0 && c.getFloat() * model().getValue(name).getFloat() < 0) c.neg() else c
    }

    /** One backward pass of sum(a (w - c)^2 / 2) over the trainable parameters; returns its value. */
    fun quadratic(arrays: Map<String, NDArray>, target: Map<String, NDArray> = minimum): Double =
        NDScope().use {
            Engine.getInstance().newGradientCollector().use { collector ->
                val terms = arrays.filter { it.value.hasGradient() }.map { (name, w) ->
                    val d = w.sub(target.getValue(name).toType(w.dataType, false).reshape(w.shape))
                    d.square().mul(curvature.getValue(name).toType(w.dataType, false).reshape(w.shape)).sum()
                        .mul(FusedOps.constant(d, 0.5))
                }
                val loss = terms.reduce(NDArray::add)
                collector.backward(loss)
                loss.toType(DataType.FLOAT64, false).getDouble()
            }
        }

    /** The distance from the parameters to the quadratic's minimum. */
    fun distance(arrays: Map<String, NDArray>, target: Map<String, NDArray> = minimum): Double = sqrt(arrays.entries.sumOf { (name, w) ->
        val c = target.getValue(name).toFloatArray()
        w.toType(DataType.FLOAT32, false).toFloatArray().withIndex().sumOf { (i, v) -> (v.toDouble() - c[i]).let { it * it } }
    })

    /** One step through the closure, as PyTorch's step(closure): every rule, L-BFGS too, takes it. */
    fun step(optimizer: Optimizer<*>, arrays: Map<String, NDArray>, target: Map<String, NDArray> = minimum) {
        optimizer.step {
            optimizer.zeroGrad()
            quadratic(arrays, target)
        }
    }

    fun copy(arrays: Map<String, NDArray>): LinkedHashMap<String, NDArray> = LinkedHashMap(arrays.mapValues { (_, w) ->
        w.duplicate().also { it.setRequiresGradient(w.hasGradient()) }
    })

    fun bitsOf(arrays: Map<String, NDArray>) = arrays.mapValues { it.value.toType(DataType.FLOAT32, false).toFloatArray().bits() }

    /** Every state tensor's bits, float32 ones widened (exactly) to float64. */
    fun stateBits(optimizer: Optimizer<*>) = optimizer.state().tensors().mapValues { (_, v) ->
        v.toType(DataType.FLOAT64, false).toDoubleArray().map { it.toRawBits() }
    }

    // The fused path runs on to step 10,000; the others, whose steps cost far more in native calls
    // for these small tensors, to step 2,000, where all three must hold the same bits.
    context("converges on a quadratic within 2,000 steps and stays there, finite, to step 10,000; the paths agree") {
        withData(nameFn = { it.name }, rows) { row ->
            val target = if (row.layerWise) sameSide else minimum
            val atAgreement = Execution.entries.map { execution ->
                val arrays = model(matrices = row.matrices)
                var bits: Any? = null
                spec(row, row.quadraticLr).compile(ParameterSet.of(arrays), execution).use { optimizer ->
                    val start = distance(arrays, target)
                    for (t in 1..(if (execution == Execution.FUSED) 10_000 else 2_000)) {
                        step(optimizer, arrays, target)
                        if (t == 2_000 || t == 10_000) {
                            withClue("$execution: distance to the minimum at step $t, from $start") {
                                distance(arrays, target) shouldBeLessThan 0.01 * start
                            }
                        }
                        if (t == 2_000) {
                            bits = bitsOf(arrays)
                        }
                    }
                    arrays.values.forEach { w -> w.toFloatArray().all { it.isFinite() } shouldBe true }
                }
                bits
            }
            withClue("generic against fused at step 2,000") { atAgreement[1] shouldBe atAgreement[0] }
            withClue("offload against fused at step 2,000") { atAgreement[2] shouldBe atAgreement[0] }
        }
    }

    context("converges on Rosenbrock's function within the steps its row states, on both paths") {
        withData(nameFn = { it.name }, rows) { row ->
            for (execution in Execution.entries) {
                val p = manager.create(floatArrayOf(-1.2f, 1f), if (row.matrices) Shape(1, 2) else Shape(2))
                    .also { it.setRequiresGradient(true) }
                var f = Double.NaN
                spec(row, row.rosenbrockLr).compile(ParameterSet.of(mapOf("p" to p)), execution).use { optimizer ->
                    repeat(row.rosenbrockSteps + 1) {
                        f = optimizer.step {
                            optimizer.zeroGrad()
                            NDScope().use { Engine.getInstance().newGradientCollector().use { collector ->
                                val x = p.reshape(2).get(NDIndex("0"))
                                val y = p.reshape(2).get(NDIndex("1"))
                                val loss = x.neg().add(1f).square().add(y.sub(x.square()).square().mul(FusedOps.constant(x, 100f)))
                                collector.backward(loss)
                                loss.getFloat().toDouble()
                            } }
                        }
                    }
                }
                withClue("$execution: f after ${row.rosenbrockSteps} steps") { f shouldBeLessThan row.rosenbrockBelow }
            }
        }
    }

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
                    // keeps them; L-BFGS's Python floats and counters are float64.
                    val chain = GoldenSpecs.chain(row.name)
                    val scalars = chain.scalarNames(chain.defaults()).toSet()
                    optimizer.state().tensors().forEach { (key, state) ->
                        val expected = when {
                            '/' !in key && key in Lbfgs.FLOAT64_SCALARS -> DataType.FLOAT64
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
})
