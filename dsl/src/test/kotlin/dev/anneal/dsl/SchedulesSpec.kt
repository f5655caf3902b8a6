package dev.anneal.dsl

import dev.anneal.config.InvalidConfigException
import dev.anneal.schedule.Duration
import dev.anneal.schedule.Phase
import dev.anneal.schedule.Timeline
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.plusOrMinus
import io.kotest.matchers.shouldBe
import kotlin.math.cos

class SchedulesSpec : FunSpec({
    test("schedule { } builds the timeline the Java builders build, with the engine's defaults for from and end") {
        schedule { warmup(steps = 100) then cosine(steps = 900, peak = 0.1) }.timeline shouldBe
            Timeline.of(Phase.warmup(Duration.steps(100)), Phase.cosine(Duration.steps(900), 0.1))
        schedule { warmup(steps = 100, from = 0.01) then cosine(steps = 900, peak = 0.1, end = 0.001) }.timeline shouldBe
            Timeline.of(Phase.warmup(Duration.steps(100), 0.01), Phase.cosine(Duration.steps(900), 0.1, 0.001))
        schedule { constant(0.01, epochs = 2) then linear(0.01, 0.001, epochs = 8) }.timeline shouldBe
            Timeline.of(Phase.constant(Duration.epochs(2), 0.01)).then(Phase.linear(Duration.epochs(8), 0.01, 0.001))
    }

    test("lengths may be Int or Long variables, a pipeline's epochs among them; a fraction is refused") {
        val passes: Int = 8
        val warm: Long = 100L
        schedule { warmup(steps = warm) then cosine(epochs = passes, peak = 0.1) }.timeline shouldBe
            Timeline.of(Phase.warmup(Duration.steps(100)), Phase.cosine(Duration.epochs(8), 0.1))
        shouldThrowExactly<InvalidConfigException> { schedule { cosine(epochs = 2.5, peak = 0.1) } }.message shouldBe
            "schedule.cosine.epochs must be a whole number of steps or epochs (an Int or a Long), got 2.5"
    }

    test("a group's lr can be the optimizer's scheduled lr times a factor, at every step") {
        val base = schedule { warmup(steps = 10) then cosine(steps = 90, peak = 0.1) }
        val spec = optimizer { sgd(lr = base); group(bias) { lr = base * 0.1 } }
        val scaled = spec.groups().single().overrides().get(dev.anneal.optim.Hyperparameter.LR)
        (1L..100L).forEach { step -> scaled.at(step) shouldBe base.schedule.at(step) * 0.1 }
    }

    test("warmup climbs to the cosine's peak, which then decays; each phase counts from its own start") {
        val s = schedule { warmup(steps = 100) then cosine(steps = 900, peak = 0.1, end = 0.001) }.timeline.toSchedule()
        s.at(1) shouldBe 0.0
        s.at(51) shouldBe (0.05 plusOrMinus 1e-15)
        s.at(101) shouldBe (0.1 plusOrMinus 1e-15)
        s.at(551) shouldBe (0.001 + 0.099 * (1 + cos(Math.PI * 450 / 900)) / 2 plusOrMinus 1e-15)
        s.at(1001) shouldBe (0.001 plusOrMinus 1e-15) // past its end the last phase holds...
        s.validSteps() shouldBe 1000 // ...but a longer planned run fails the budget check
    }

    test("epochs become steps only with the steps per epoch; without them the schedule is refused") {
        val timeline = schedule { warmup(steps = 10) then cosine(epochs = 2, peak = 1.0) }.timeline
        shouldThrowExactly<InvalidConfigException> { timeline.toSchedule() }.message shouldBe
            "schedule.phase[1] is 2 epochs, but the steps per epoch are not known; give them (toSchedule(stepsPerEpoch)) or use steps"
        val s = timeline.toSchedule(50)
        timeline.steps(50) shouldBe 110
        s.at(11) shouldBe 1.0
        s.at(61) shouldBe (0.5 plusOrMinus 1e-15)
    }

    test("a phase needs exactly one of steps and epochs, and a warmup needs something after it") {
        shouldThrowExactly<InvalidConfigException> { schedule { cosine(steps = 10, epochs = 1, peak = 1.0) } }.message shouldBe
            "schedule.cosine needs its length as steps = N or as epochs = N, exactly one, got steps 10 and epochs 1"
        shouldThrowExactly<InvalidConfigException> { schedule { warmup(steps = 10) } }.message shouldBe
            "schedule.phase[0] is a warmup with nothing after it to warm up to"
        shouldThrowExactly<InvalidConfigException> { schedule { constant(1.0, steps = 0) } }.message shouldBe
            "duration.steps must be at least 1, got 0"
        shouldThrowExactly<InvalidConfigException> {
            schedule {
                warmup(steps = 10)
                cosine(steps = 90, peak = 0.1)
            }
        }.message shouldBe "schedule makes 2 phases but joins 1 of them; join every phase with `then` " +
            "(a phase on a line of its own is dropped)"
    }
})

class ScheduleTextSpec : FunSpec({
    test("text reads as the same DSL calls") {
        scheduleOf("warmup(steps = 100) then cosine(steps = 900, peak = 0.1)") shouldBe
            schedule { warmup(steps = 100) then cosine(steps = 900, peak = 0.1) }.timeline
        scheduleOf("constant(0.01, epochs = 2) then (linear(0.01, 1e-3, epochs = 8) then constant(1e-3, steps = 5))") shouldBe
            schedule { constant(0.01, epochs = 2) then linear(0.01, 1e-3, epochs = 8) then constant(1e-3, steps = 5) }.timeline
    }

    test("mistakes are named with what was expected") {
        shouldThrowExactly<InvalidConfigException> { scheduleOf("cosine(steps = 9, peek = 0.1)") }.message shouldBe
            "schedule text \"cosine(steps = 9, peek = 0.1)\" cosine has no argument 'peek'; it takes steps, epochs, peak, end"
        shouldThrowExactly<InvalidConfigException> { scheduleOf("cosin(steps = 9)") }.message shouldBe
            "schedule text \"cosin(steps = 9)\" unknown phase 'cosin'; phases are constant, cosine, linear, warmup"
        shouldThrowExactly<InvalidConfigException> { scheduleOf("cosine(steps = 9.5, peak = 1)") }.message shouldBe
            "schedule text \"cosine(steps = 9.5, peak = 1)\" steps must be a whole number, got 9.5"
        shouldThrowExactly<InvalidConfigException> { scheduleOf("cosine(steps = 9, steps = 900, peak = 1)") }.message shouldBe
            "schedule text \"cosine(steps = 9, steps = 900, peak = 1)\" cosine is given steps twice"
        shouldThrowExactly<InvalidConfigException> { scheduleOf("warmup(steps = 10) then") }.message shouldBe
            "schedule text \"warmup(steps = 10) then\" expected a phase such as cosine(...) at the end"
    }
})

class ReadmeKotlinSpec : FunSpec({
    test("the README's Kotlin example builds: a scheduled lr and no decay on biases and norms") {
        val spec = dev.anneal.optim.Optimizers.adamW()
            .lr(schedule { warmup(steps = 500) then cosine(steps = 9_500, peak = 1e-3) }.toSchedule())
            .noWeightDecayOn(bias or norm).build()
        spec.noWeightDecay() shouldBe listOf(bias or norm)
        spec.scheduled().getValue("default.lr").at(501) shouldBe (1e-3 plusOrMinus 1e-18)
        spec.checkBudget(10_000)
        shouldThrowExactly<InvalidConfigException> { spec.checkBudget(10_001) }
    }
})
