package dev.anneal.schedule

import dev.anneal.config.InvalidConfigException
import dev.anneal.schedule.torch.CosineAnnealingLR
import dev.anneal.schedule.torch.SWALR
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.plusOrMinus
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import kotlin.math.PI
import kotlin.math.cos

/**
 * PyTorch's SWALR beyond its reference values (TorchScheduleGoldenSpec): what it refuses, how it
 * takes over from another schedule, and the cache behind its recursion.
 */
class SwalrSpec : FunSpec({
    test("bad arguments are refused together, each naming its field, the value and what is allowed") {
        val e = shouldThrowExactly<InvalidConfigException> { SWALR(-0.1, Double.NaN, 0, true) }
        e.violations().map { it.toString() } shouldBe listOf(
            "schedule.swaLR.base must be non-negative (>= 0) and finite, got -0.1",
            "schedule.swaLR.swaLr must be non-negative (>= 0) and finite, got NaN",
            "schedule.swaLR.annealEpochs must be at least 1, got 0 (PyTorch's 0 sets swa_lr at once: a constant)",
        )
        shouldThrowExactly<InvalidConfigException> { SWALR(0.1, -0.05) }.message shouldBe
            "schedule.swaLR.swaLr must be non-negative (>= 0) and finite, got -0.05"
        shouldThrowExactly<InvalidConfigException> { SWALR(0.1, Double.POSITIVE_INFINITY) }.message shouldBe
            "schedule.swaLR.swaLr must be non-negative (>= 0) and finite, got Infinity"
        shouldThrowExactly<InvalidConfigException> { SWALR(0.1, 0.05, -3, false) }.message shouldBe
            "schedule.swaLR.annealEpochs must be at least 1, got -3"
    }

    test("the strategy as PyTorch spells it is \"cos\" or \"linear\"; anything else is refused") {
        SWALR.of(0.1, 0.05, 5, "cos") shouldBe SWALR(0.1, 0.05, 5, true)
        SWALR.of(0.1, 0.05, 5, "linear") shouldBe SWALR(0.1, 0.05, 5, false)
        shouldThrowExactly<InvalidConfigException> { SWALR.of(0.1, 0.05, 5, "cosine") }.message shouldBe
            "schedule.swaLR.annealStrategy must be \"cos\" or \"linear\" (PyTorch's anneal_strategy), got \"cosine\""
        val e = shouldThrowExactly<InvalidConfigException> { SWALR.of(0.1, -1.0, 0, null) }
        e.violations().map { it.path() } shouldBe
            listOf("schedule.swaLR.swaLr", "schedule.swaLR.annealEpochs", "schedule.swaLR.annealStrategy")
        e.violations().last().problem() shouldBe "must be \"cos\" or \"linear\" (PyTorch's anneal_strategy), got null"
    }

    test("it starts at base, reaches swaLr exactly at annealEpochs, holds it, and is defined from step 1 on") {
        val s = SWALR(0.1, 0.02, 4, true)
        s.at(1) shouldBe 0.1
        s.at(3) shouldBe (0.02 * 0.5 + 0.1 * 0.5 plusOrMinusUlps 4) // halfway along the cosine
        s.at(5) shouldBe 0.02
        s.at(1_000_000_000_000) shouldBe 0.02
        SWALR(0.1, 0.3, 4, false).at(2) shouldBe 0.3 * 0.25 + 0.1 * 0.75
        shouldThrowExactly<InvalidConfigException> { s.at(0) }.message shouldBe
            "schedule.swaLR is defined from step 1 on, got step 0"
    }

    test("a long anneal goes on one step at a time and goes back to a checkpoint, with the same values") {
        val n = 20_000L
        val walked = SWALR(1.0, 0.001, n, true)
        val forward = (1L..n + 1).map { walked.at(it) }
        val fresh = { step: Long -> SWALR(1.0, 0.001, n, true).at(step) }
        for (step in listOf(1L, 2L, 4096L, 4097L, 9000L, 12_289L, n, n + 1)) {
            walked.at(step) shouldBe forward[(step - 1).toInt()] // back, from a checkpoint
            fresh(step) shouldBe forward[(step - 1).toInt()] // from the start
        }
        // PyTorch's recursion stays within rounding of the closed form over a long anneal
        val closed = 0.001 * (1 - cos(PI * 9000.0 / n)) / 2 + 1.0 * (1 - (1 - cos(PI * 9000.0 / n)) / 2)
        walked.at(9001) shouldBe (closed plusOrMinusUlps 64)
    }

    test("after another schedule it starts from that one's last value, annealing from the first step after") {
        val cosine = CosineAnnealingLR(0.1, 100)
        val s = SWALR.after(cosine, 80, 0.005, 10, true)
        s.swa() shouldBe SWALR(cosine.at(80), 0.005, 10, true)
        (1L..80L).forEach { s.at(it) shouldBe cosine.at(it) }
        s.at(81) shouldBe s.swa().at(2) // PyTorch's SWALR t = 1 at the switch
        s.at(81) shouldNotBe cosine.at(80)
        s.at(90) shouldBe 0.005
        SWALR.after(Schedule.constant(0.1), 30, 0.05) shouldBe
            SWALR.After(Schedule.constant(0.1), 30, SWALR(0.1, 0.05, SWALR.DEFAULT_ANNEAL_EPOCHS, SWALR.DEFAULT_COSINE))
    }

    test("after refuses a schedule whose value at the switch is not known in advance, or a start that is not it") {
        val epochs = Timeline.of(Phase.cosine(Duration.epochs(2), 0.1, 0.0))
        shouldThrowExactly<InvalidConfigException> { SWALR.after(epochs, 10, 0.05) }.message shouldBe
            "schedule.swaLR.before counts epochs, so the value it ends at is not known yet; give it in steps " +
            "(toSchedule(stepsPerEpoch)), got $epochs"
        val plateau = Plateau.over(CosineAnnealingLR(0.1, 100))
        shouldThrowExactly<InvalidConfigException> { SWALR.after(plateau.times(0.5), 10, 0.05) }.message shouldBe
            "schedule.swaLR.before has plateau control, whose value at the switch depends on metrics not seen yet; " +
            "give SWALR its start instead, got ${plateau.times(0.5)}"
        shouldThrowExactly<InvalidConfigException> { SWALR.after(Precomputed.of(0.1, 0.1), 3, 0.05) }.message shouldBe
            "schedule.swaLR.steps must be at most 2, the steps that before lasts, got 3"
        shouldThrowExactly<InvalidConfigException> { SWALR.after(Schedule.constant(0.1), 0, 0.05) }.message shouldBe
            "schedule.swaLR.steps must be at least 1, got 0"
        shouldThrowExactly<InvalidConfigException> { SWALR.after(null, 10, 0.05) }.message shouldBe
            "schedule.swaLR.before is required: the schedule SWALR takes over from"
        shouldThrowExactly<InvalidConfigException> {
            SWALR.After(CosineAnnealingLR(0.1, 100), 80, SWALR(0.1, 0.005))
        }.message shouldBe "schedule.swaLR.swa.base must be ${CosineAnnealingLR(0.1, 100).at(80)}, the value before " +
            "ends at (step 80), as PyTorch's SWALR starts from the learning rate it finds; got 0.1"
        val both = shouldThrowExactly<InvalidConfigException> { SWALR.After(null, 10, null) }
        both.violations().map { it.path() } shouldBe listOf("schedule.swaLR.before", "schedule.swaLR.swa")
        val all = shouldThrowExactly<InvalidConfigException> { SWALR.after(Schedule.constant(0.1), 0, -0.05, 0, true) }
        all.violations().map { it.path() } shouldBe
            listOf("schedule.swaLR.steps", "schedule.swaLR.swaLr", "schedule.swaLR.annealEpochs")
    }

    test("SWALR lasts forever and is found inside compositions") {
        SWALR(0.1, 0.05).validSteps() shouldBe Long.MAX_VALUE
        val after = SWALR.after(CosineAnnealingLR(0.1, 100), 80, 0.005)
        after.validSteps() shouldBe Long.MAX_VALUE
        after.parts() shouldBe listOf(CosineAnnealingLR(0.1, 100), after.swa())
    }
})

private infix fun Double.plusOrMinusUlps(ulps: Int) = this plusOrMinus ulps * Math.ulp(this)
