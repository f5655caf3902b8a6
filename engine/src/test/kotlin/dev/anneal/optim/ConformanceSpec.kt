package dev.anneal.optim

import ai.djl.engine.Engine
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.NDScope
import ai.djl.ndarray.index.NDIndex
import ai.djl.ndarray.types.Shape
import dev.anneal.internal.FusedOps
import dev.anneal.param.ParameterSet
import dev.anneal.support.bits
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.doubles.shouldBeLessThan
import io.kotest.matchers.shouldBe

/**
 * Every optimizer of the engine (the table in Conformance.kt) through the same convergence checks,
 * on every path: it converges on a quadratic and on Rosenbrock's function within the steps its row
 * states, stays finite and converged for 10,000 steps (on the fused path; 2,000 on the others,
 * where all agree), and the fused path and the offloaded state give the generic path's bits.
 * ConformanceStateSpec runs the rest of the table's checks.
 */
class ConformanceSpec : FunSpec({
    val rows = conformanceRows

    test("the table has a row for every optimizer of the engine") {
        rows.map { it.name }.toSet() shouldBe Optimizers.chains().map { it.name() }.toSet()
    }

    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    with(Conformance(manager)) {
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
    }
})
