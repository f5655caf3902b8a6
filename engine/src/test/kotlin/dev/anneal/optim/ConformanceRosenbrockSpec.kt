package dev.anneal.optim

import ai.djl.engine.Engine
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.NDScope
import ai.djl.ndarray.index.NDIndex
import ai.djl.ndarray.types.Shape
import dev.anneal.internal.FusedOps
import dev.anneal.param.ParameterSet
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.doubles.shouldBeLessThan

/**
 * Every optimizer of the engine (the table in Conformance.kt) on Rosenbrock's function, on every
 * path: from (-1.2, 1) it gets below the value its row states within the row's steps.
 */
class ConformanceRosenbrockSpec : FunSpec({
    val rows = conformanceRows
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    with(Conformance(manager)) {
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
