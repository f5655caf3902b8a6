package dev.anneal.schedule

import ai.djl.ndarray.NDManager
import dev.anneal.config.InvalidConfigException
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeSameInstanceAs
import kotlin.math.PI
import kotlin.math.cos

class EpochScheduleSpec : FunSpec({
    val timeline = Timeline.of(Phase.warmup(Duration.steps(4), 0.0), Phase.cosine(Duration.epochs(2), 0.1, 0.0))

    test("a timeline in epochs is a schedule once the steps per epoch are known") {
        timeline.countsEpochs() shouldBe true
        val schedule = timeline.inSteps(8) // 4 warmup steps, then 16 cosine steps
        schedule.countsEpochs() shouldBe false
        schedule.validSteps() shouldBe 20
        schedule.at(1) shouldBe 0.0
        schedule.at(3) shouldBe 0.05
        for (k in 0 until 16) schedule.at(5L + k) shouldBe 0.05 * (1 + cos(PI * k / 16))
        shouldThrow<InvalidConfigException> { timeline.at(1) }.message shouldContain "phase[1]"
    }

    test("a timeline in steps runs as it is") {
        val steps = Timeline.of(Phase.linear(Duration.steps(10), 1.0, 0.0))
        steps.countsEpochs() shouldBe false
        steps.at(6) shouldBe 0.5
        steps.validSteps() shouldBe 10
    }

    test("composed schedules pass the steps per epoch down; a plateau keeps its identity") {
        val product = timeline.times(2.0).clamp(0.0, 1.0)
        product.countsEpochs() shouldBe true
        product.inSteps(8).at(5) shouldBe 0.2
        val plateau = Plateau.over(timeline)
        plateau.inSteps(8) shouldBeSameInstanceAs plateau
        plateau.countsEpochs() shouldBe false
        plateau.at(5) shouldBe 0.1
        Schedules.warmup(2, 0.0, timeline).inSteps(8).at(3) shouldBe 0.0
    }

    test("a spec with an epoch schedule compiles only after withStepsPerEpoch, in every group") {
        NDManager.newBaseManager().use { m ->
            val w = m.ones(ai.djl.ndarray.types.Shape(2)).also { it.setRequiresGradient(true) }
            val b = m.ones(ai.djl.ndarray.types.Shape(2)).also { it.setRequiresGradient(true) }
            val params = ParameterSet.of(linkedMapOf("w" to w, "b" to b))
            val spec = Optimizers.sgd().lr(timeline).group("bias", Selector.name("b")) { it.momentum(timeline) }.build()
            spec.countsEpochs() shouldBe true
            val e = shouldThrow<InvalidConfigException> { spec.compile(params) }
            e.message shouldContain "optimizer.default.lr is a schedule counted in epochs"
            e.message shouldContain "group[\"bias\"].momentum"
            val resolved = spec.withStepsPerEpoch(8)
            resolved.countsEpochs() shouldBe false
            resolved.compile(params).use { o ->
                o.valuesAt("bias", 5)["momentum"] shouldBe 0.1
                o.valuesAt("default", 3)["lr"] shouldBe 0.05
            }
            shouldThrow<InvalidConfigException> { spec.withStepsPerEpoch(0) }.message shouldContain
                "optimizer.stepsPerEpoch must be at least 1, got 0"
        }
    }
})
