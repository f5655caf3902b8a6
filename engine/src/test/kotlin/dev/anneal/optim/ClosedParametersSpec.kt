package dev.anneal.optim

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import dev.anneal.param.ParameterSet
import dev.anneal.testing.ChildJvm
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldNotContain

/**
 * An optimizer whose parameters' manager was closed, in a JVM of its own: before Anneal checked,
 * the fused path wrote into freed memory and a 4M-element tensor crashed the JVM with SIGSEGV.
 * Each path now refuses step() and zeroGrad() by the parameter's name, and the child ends normally.
 */
class ClosedParametersSpec : FunSpec({
    test("step() and zeroGrad() over closed parameters are refused on both paths, and the JVM lives") {
        val result = ChildJvm.run(ClosedParametersChild::class.java.name)
        withClue(result.output) {
            result.exitCode shouldBe 0
            result.lines shouldContain "done"
            for (execution in Execution.entries) {
                for (call in listOf("step", "zeroGrad")) {
                    result.lines shouldContain "refused $execution $call | IllegalStateException: parameter w: its array is " +
                        "closed (was its NDManager closed?); compile an optimizer over the model's live parameters"
                }
            }
            result.output shouldNotContain "\tat "
        }
    }
})

/** Closes the parameters' manager under a compiled optimizer on each path, then steps and clears. */
object ClosedParametersChild {
    @JvmStatic
    fun main(args: Array<String>) {
        for (execution in Execution.entries) {
            val own = NDManager.newBaseManager()
            val w = own.ones(Shape(1L shl 22)).also { it.setRequiresGradient(true) }
            Optimizers.adam().build().compile(ParameterSet.of(linkedMapOf("w" to w)), execution).use { optimizer ->
                optimizer.step()
                own.close()
                for ((call, action) in listOf<Pair<String, () -> Unit>>("step" to optimizer::step, "zeroGrad" to optimizer::zeroGrad)) {
                    try {
                        action()
                        println("accepted $execution $call")
                    } catch (e: IllegalStateException) {
                        println("refused $execution $call | ${e.javaClass.simpleName}: ${e.message}")
                    }
                }
            }
        }
        println("done")
    }
}
