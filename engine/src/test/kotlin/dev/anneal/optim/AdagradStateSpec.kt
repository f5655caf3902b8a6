package dev.anneal.optim

import ai.djl.ndarray.NDManager
import dev.anneal.config.InvalidConfigException
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.schedule.Schedule
import dev.anneal.support.threeParameters
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain

/**
 * Adagrad's sums start at the initial accumulator value when the state is made, as PyTorch's
 * do: the state shows it before any update, a group's own value counts, and the value must be a
 * constant, since it is read only then.
 */
class AdagradStateSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    for (execution in Execution.entries) {
        test("the sums start at each group's initial value before any update (${execution.name.lowercase()})") {
            val spec = Optimizers.adagrad().initialAccumulatorValue(0.25)
                .group("fc", Selector.nameContains("fc")) { it.initialAccumulatorValue(1.5) }.build()
            spec.compile(ParameterSet.of(threeParameters(manager)), execution).use { optimizer ->
                val sums = optimizer.state().tensors()
                sums.keys shouldBe setOf("conv.weight/sum", "fc.weight/sum", "late.bias/sum")
                sums.getValue("conv.weight/sum").toFloatArray().toSet() shouldBe setOf(0.25f)
                sums.getValue("fc.weight/sum").toFloatArray().toSet() shouldBe setOf(1.5f)
                sums.getValue("late.bias/sum").toFloatArray().toSet() shouldBe setOf(0.25f)
            }
        }
    }

    test("a scheduled initial value is refused, naming the field") {
        val e = shouldThrowExactly<InvalidConfigException> {
            Optimizers.adagrad().initialAccumulatorValue(Schedule { step -> 0.1 * step }).build()
        }
        e.message shouldContain "initialAccumulatorValue"
        e.message shouldContain "must be a constant"
    }
})
