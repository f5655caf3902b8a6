package dev.anneal.optim

import ai.djl.ndarray.NDManager
import dev.anneal.config.InvalidConfigException
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Schedule
import dev.anneal.support.threeParameters
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain

/**
 * What Rprop refuses and where its step sizes start: at the learning rate, when the state is
 * made, as PyTorch's do; so the learning rate is a constant, and the etas must satisfy
 * PyTorch's 0 < etaMinus < 1 < etaPlus.
 */
class RpropSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    test("the step sizes start at the learning rate, the previous gradients at zero") {
        Optimizers.rprop().lr(0.25).build().compile(ParameterSet.of(threeParameters(manager))).use { optimizer ->
            val state = optimizer.state().tensors()
            state.getValue("fc.weight/step_size").toFloatArray().toSet() shouldBe setOf(0.25f)
            state.getValue("fc.weight/prev").toFloatArray().toSet() shouldBe setOf(0f)
        }
    }

    test("a scheduled learning rate is refused: it is read once") {
        shouldThrowExactly<InvalidConfigException> {
            Optimizers.rprop().lr(Schedule { step -> 0.01 / step }).build()
        }.message shouldContain "lr must be a constant"
    }

    test("etas outside 0 < etaMinus < 1 < etaPlus are refused, each by its name") {
        shouldThrowExactly<InvalidConfigException> { Optimizers.rprop().etaPlus(1.0).build() }.message shouldContain
            "etaPlus must be above 1 (0 < etaMinus < 1 < etaPlus), got 1.0"
        shouldThrowExactly<InvalidConfigException> { Optimizers.rprop().etaMinus(0.0).build() }.message shouldContain
            "etaMinus must be above 0"
    }
})
