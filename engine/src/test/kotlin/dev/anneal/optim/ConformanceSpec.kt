package dev.anneal.optim

import ai.djl.ndarray.NDManager
import dev.anneal.param.ParameterSet
import dev.anneal.support.bits
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.doubles.shouldBeLessThan
import io.kotest.matchers.shouldBe

/**
 * Every optimizer of the engine (the table in Conformance.kt) through the same check on a
 * quadratic, on every path: it converges within 2,000 steps and stays finite and converged for
 * 10,000 (on the fused path; 2,000 on the others, where all agree), and the fused path and the
 * offloaded state give the generic path's bits. ConformanceRosenbrockSpec and ConformanceStateSpec
 * run the rest of the table's checks, each spec well within Kotest's time for one.
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
    }
})
