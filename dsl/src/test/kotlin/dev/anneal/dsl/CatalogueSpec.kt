package dev.anneal.dsl

import dev.anneal.config.InvalidConfigException
import dev.anneal.schedule.Plateau
import dev.anneal.schedule.Precomputed
import dev.anneal.schedule.Schedule
import dev.anneal.schedule.Schedules
import dev.anneal.schedule.Warmup
import dev.anneal.schedule.mindspore.CosineDecayLR
import dev.anneal.schedule.mindspore.DynamicLr
import dev.anneal.schedule.mindspore.ExponentialDecayLR
import dev.anneal.schedule.mindspore.InverseDecayLR
import dev.anneal.schedule.mindspore.NaturalExpDecayLR
import dev.anneal.schedule.mindspore.PolynomialDecayLR
import dev.anneal.schedule.mindspore.WarmUpLR
import dev.anneal.schedule.optax.CosineDecay
import dev.anneal.schedule.optax.CosineDecayRestarts
import dev.anneal.schedule.optax.ExponentialDecay
import dev.anneal.schedule.optax.InverseTimeDecay
import dev.anneal.schedule.optax.OneCycle
import dev.anneal.schedule.optax.PiecewiseConstantDecay
import dev.anneal.schedule.optax.PiecewiseInterpolate
import dev.anneal.schedule.optax.PolynomialDecay
import dev.anneal.schedule.optax.Sgdr
import dev.anneal.schedule.optax.WarmupCosineDecay
import dev.anneal.schedule.torch.Chained
import dev.anneal.schedule.torch.ConstantLR
import dev.anneal.schedule.torch.CosineAnnealingLR
import dev.anneal.schedule.torch.CosineAnnealingWarmRestarts
import dev.anneal.schedule.torch.CyclicLR
import dev.anneal.schedule.torch.ExponentialLR
import dev.anneal.schedule.torch.LambdaLR
import dev.anneal.schedule.torch.LinearLR
import dev.anneal.schedule.torch.MultiStepLR
import dev.anneal.schedule.torch.MultiplicativeLR
import dev.anneal.schedule.torch.OneCycleLR
import dev.anneal.schedule.torch.PolynomialLR
import dev.anneal.schedule.torch.SWALR
import dev.anneal.schedule.torch.StepLR
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldStartWith
import io.kotest.matchers.types.shouldBeSameInstanceAs
import java.util.OptionalDouble
import kotlin.math.pow
import kotlin.reflect.KVisibility
import kotlin.reflect.jvm.javaMethod
import kotlin.reflect.jvm.kotlinFunction

/** The same value at every step in [steps], for schedules without value equality. */
private fun sameValues(actual: Scheduled, expected: Schedule, steps: LongRange = 1L..200L) {
    for (step in steps) {
        atStep(step) { actual.schedule.at(step) shouldBe expected.at(step) }
    }
}

private inline fun atStep(step: Long, block: () -> Unit) = withClue("step $step", block)

/** A metric that improves, stalls, improves by less than a relative 1e-4, and stalls again. */
private fun metric(step: Long): Double = when {
    step <= 30 -> 1.0 - 0.01 * step
    step <= 80 -> 0.7
    step <= 120 -> 0.7 - 1e-6 * (step - 80)
    else -> 0.7 - 4e-5
}

/** Two plateaus fed the same metrics take the same values and states throughout, steps 1..200. */
private fun sameBehaviour(actual: Plateau, expected: Plateau, metric: (Long) -> Double = ::metric) {
    for (step in 1L..200L) {
        atStep(step) {
            actual.at(step) shouldBe expected.at(step)
            actual.observe(metric(step), step)
            expected.observe(metric(step), step)
            actual.state() shouldBe expected.state()
        }
    }
}

class CatalogueSpec : FunSpec({
    context("PyTorch") {
        test("stepLR, multiStepLR, constantLR, linearLR, exponentialLR, polynomialLR build the engine's records") {
            stepLR(0.1, stepSize = 30, gamma = 0.5).schedule shouldBe StepLR(0.1, 30, 0.5)
            multiStepLR(0.1, milestones = listOf(30, 80, 80), gamma = 0.2).schedule shouldBe
                MultiStepLR(0.1, longArrayOf(30, 80, 80), 0.2)
            constantLR(0.1, factor = 0.5, totalIters = 4).schedule shouldBe ConstantLR(0.1, 0.5, 4)
            linearLR(0.1, startFactor = 0.25, endFactor = 0.75, totalIters = 8).schedule shouldBe
                LinearLR(0.1, 0.25, 0.75, 8)
            exponentialLR(0.1, gamma = 0.9).schedule shouldBe ExponentialLR(0.1, 0.9)
            polynomialLR(0.1, totalIters = 50, power = 2.0).schedule shouldBe PolynomialLR(0.1, 50, 2.0)
        }

        test("cosineAnnealingLR and cosineAnnealingWarmRestarts build the engine's records") {
            cosineAnnealingLR(0.1, tMax = 100, etaMin = 0.001).schedule shouldBe CosineAnnealingLR(0.1, 100, 0.001)
            cosineAnnealingWarmRestarts(0.1, t0 = 10, tMult = 2, etaMin = 0.001).schedule shouldBe
                CosineAnnealingWarmRestarts(0.1, 10, 2, 0.001)
        }

        test("cyclicLR with a built-in mode builds CyclicLR.of, with PyTorch's scale mode for it") {
            cyclicLR(0.001, 0.1, stepSizeUp = 20, stepSizeDown = 30, mode = CyclicLR.Mode.EXP_RANGE, gamma = 0.99)
                .schedule shouldBe CyclicLR.of(0.001, 0.1, 20, 30, CyclicLR.Mode.EXP_RANGE, 0.99)
            cyclicLR(0.001, 0.1, stepSizeUp = 20, mode = CyclicLR.Mode.TRIANGULAR2).schedule shouldBe
                CyclicLR.of(0.001, 0.1, 20, 20, CyclicLR.Mode.TRIANGULAR2, 1.0)
        }

        test("cyclicLR with a custom scale (a lambda, so compared by value at steps 1..200)") {
            val scale = { x: Double -> 1 / (1 + x).pow(0.5) }
            val dsl = cyclicLR(0.001, 0.1, stepSizeUp = 7, stepSizeDown = 5, scaleMode = CyclicLR.ScaleMode.ITERATIONS) {
                scale(it)
            }
            sameValues(dsl, CyclicLR.custom(0.001, 0.1, 7, 5, { scale(it) }, CyclicLR.ScaleMode.ITERATIONS))
            (dsl.schedule as CyclicLR).mode() shouldBe CyclicLR.Mode.CUSTOM
            sameValues(
                cyclicLR(0.001, 0.1, stepSizeUp = 7) { 1 / it },
                CyclicLR.custom(0.001, 0.1, 7, 7, { 1 / it }, CyclicLR.ScaleMode.CYCLE),
            )
        }

        test("oneCycleLR builds the engine's record with every option") {
            oneCycleLR(
                0.1, totalSteps = 1000, pctStart = 0.25, cosine = false, divFactor = 10.0, finalDivFactor = 100.0,
                threePhase = true,
            ).schedule shouldBe OneCycleLR(0.1, 1000, 0.25, false, 10.0, 100.0, true)
        }

        test("cycledMomentum is the engine's momentum cycle (compared by value at steps 1..200)") {
            val cyclic = CyclicLR.of(0.001, 0.1, 20, 30, CyclicLR.Mode.TRIANGULAR, 1.0)
            sameValues(cyclicLR(0.001, 0.1, stepSizeUp = 20, stepSizeDown = 30).cycledMomentum(), cyclic.momentum(0.8, 0.9))
            sameValues(
                cyclicLR(0.001, 0.1, stepSizeUp = 20, stepSizeDown = 30).cycledMomentum(0.7, 0.95),
                cyclic.momentum(0.7, 0.95),
            )
            val oneCycle = OneCycleLR.of(0.1, 200)
            sameValues(oneCycleLR(0.1, totalSteps = 200).cycledMomentum(), oneCycle.momentum(0.85, 0.95))
            sameValues(oneCycleLR(0.1, totalSteps = 200).cycledMomentum(maxMomentum = 0.99), oneCycle.momentum(0.85, 0.99))
            shouldThrowExactly<InvalidConfigException> { stepLR(0.1, 10).cycledMomentum() }.message shouldStartWith
                "schedule.cycledMomentum"
        }

        test("lambdaLR and multiplicativeLR (lambdas and a stateful class, so compared by value at steps 1..200)") {
            sameValues(lambdaLR(0.1) { t -> 0.95.pow(t.toDouble()) }, LambdaLR(0.1) { t -> 0.95.pow(t.toDouble()) })
            sameValues(
                multiplicativeLR(0.1) { t -> if (t % 10 == 0L) 0.5 else 0.99 },
                MultiplicativeLR(0.1) { t -> if (t % 10 == 0L) 0.5 else 0.99 },
            )
        }

        test("chainedScheduler builds Chained over the multiplicative records and refuses anything else") {
            chainedScheduler(stepLR(0.1, 10), exponentialLR(0.1, 0.99), cosineAnnealingLR(0.1, 100)).schedule shouldBe
                Chained(listOf(StepLR(0.1, 10, 0.1), ExponentialLR(0.1, 0.99), CosineAnnealingLR(0.1, 100, 0.0)))
            shouldThrowExactly<InvalidConfigException> { chainedScheduler(stepLR(0.1, 10), cosineDecay(0.1, 100)) }
                .message shouldStartWith "schedule.chained.schedulers[1] must be a multiplicative PyTorch schedule"
        }

        test("sequentialLR is Schedules.join; a plain number is a constant") {
            sequentialLR(listOf(linearLR(0.1), cosineAnnealingLR(0.1, 100), 0.001), milestones = listOf(5, 105))
                .schedule shouldBe Schedules.join(
                    listOf(LinearLR(0.1, 1.0 / 3, 1.0, 5), CosineAnnealingLR(0.1, 100, 0.0), Schedule.constant(0.001)),
                    5, 105,
                )
        }
    }

    context("PyTorch swa_utils") {
        test("swaLR builds SWALR with every option, and after another schedule SWALR.after") {
            swaLR(0.1, swaLr = 0.05, annealEpochs = 5, cosine = false).schedule shouldBe SWALR(0.1, 0.05, 5, false)
            val cosine = cosineAnnealingLR(0.1, tMax = 100)
            swaLR(before = cosine, steps = 80, swaLr = 0.005, annealEpochs = 5, cosine = false).schedule shouldBe
                SWALR.after(CosineAnnealingLR(0.1, 100), 80, 0.005, 5, false)
            swaLR(before = 0.1, steps = 30, swaLr = 0.05).schedule shouldBe SWALR.after(Schedule.constant(0.1), 30, 0.05)
        }

        test("swaLR refuses bad arguments with the engine's paths") {
            shouldThrowExactly<InvalidConfigException> { swaLR(0.1, swaLr = -0.05) }.message shouldBe
                "schedule.swaLR.swaLr must be non-negative (>= 0) and finite, got -0.05"
            shouldThrowExactly<InvalidConfigException> { swaLR(0.1, swaLr = Double.NaN) }.message shouldBe
                "schedule.swaLR.swaLr must be non-negative (>= 0) and finite, got NaN"
            shouldThrowExactly<InvalidConfigException> { swaLR(0.1, swaLr = 0.05, annealEpochs = 0) }.message shouldStartWith
                "schedule.swaLR.annealEpochs must be at least 1, got 0"
            shouldThrowExactly<InvalidConfigException> { swaLR(before = 0.1, steps = 0, swaLr = 0.05) }.message shouldBe
                "schedule.swaLR.steps must be at least 1, got 0"
        }
    }

    context("MindSpore") {
        test("the dynamic_lr lists (dynamic + the function's name) are Precomputed over DynamicLr's lists") {
            dynamicPiecewiseConstantLr(listOf(2, 5, 10), listOf(0.1, 0.05, 0.01)).schedule shouldBe
                Precomputed(DynamicLr.piecewiseConstantLr(intArrayOf(2, 5, 10), doubleArrayOf(0.1, 0.05, 0.01)))
            dynamicExponentialDecayLr(0.1, 0.9, totalStep = 6, stepPerEpoch = 2, decayEpoch = 1, isStair = true).schedule shouldBe
                Precomputed(DynamicLr.exponentialDecayLr(0.1, 0.9, 6, 2, 1, true))
            dynamicNaturalExpDecayLr(0.1, 0.9, totalStep = 6, stepPerEpoch = 2, decayEpoch = 2, isStair = true).schedule shouldBe
                Precomputed(DynamicLr.naturalExpDecayLr(0.1, 0.9, 6, 2, 2, true))
            dynamicInverseDecayLr(0.1, 0.5, totalStep = 6, stepPerEpoch = 1, decayEpoch = 1, isStair = true).schedule shouldBe
                Precomputed(DynamicLr.inverseDecayLr(0.1, 0.5, 6, 1, 1, true))
            dynamicCosineDecayLr(0.01, 0.1, totalStep = 6, stepPerEpoch = 2, decayEpoch = 2).schedule shouldBe
                Precomputed(DynamicLr.cosineDecayLr(0.01, 0.1, 6, 2, 2))
            dynamicPolynomialDecayLr(0.1, 0.01, 6, 2, 2, power = 0.5, updateDecayEpoch = true).schedule shouldBe
                Precomputed(DynamicLr.polynomialDecayLr(0.1, 0.01, 6, 2, 2, 0.5, true))
            dynamicWarmupLr(0.1, totalStep = 6, stepPerEpoch = 2, warmupEpoch = 2).schedule shouldBe
                Precomputed(DynamicLr.warmupLr(0.1, 6, 2, 2))
            // MindSpore's documented example, to be sure the list arrives in order.
            dynamicPiecewiseConstantLr(listOf(2, 5, 10), listOf(0.1, 0.05, 0.01)).schedule.let { s ->
                (1L..10L).map { s.at(it) } shouldBe listOf(0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01, 0.01, 0.01, 0.01)
            }
        }

        test("the LearningRateSchedule classes build the engine's records") {
            exponentialDecayLR(0.1, 0.9, decaySteps = 4, isStair = true).schedule shouldBe
                ExponentialDecayLR(0.1, 0.9, 4, true)
            naturalExpDecayLR(0.1, 0.9, decaySteps = 4, isStair = true).schedule shouldBe
                NaturalExpDecayLR(0.1, 0.9, 4, true)
            inverseDecayLR(0.1, 0.9, decaySteps = 4, isStair = true).schedule shouldBe InverseDecayLR(0.1, 0.9, 4, true)
            cosineDecayLR(0.01, 0.1, decaySteps = 4).schedule shouldBe CosineDecayLR(0.01, 0.1, 4)
            polynomialDecayLR(0.1, 0.01, decaySteps = 4, power = 0.5, updateDecaySteps = true).schedule shouldBe
                PolynomialDecayLR(0.1, 0.01, 4, 0.5, true)
            warmUpLR(0.1, warmupSteps = 2).schedule shouldBe WarmUpLR(0.1, 2)
        }
    }

    context("Keras") {
        test("cosineDecay builds CosineDecay.keras, with and without a warmup, and refuses warmup steps without a target") {
            cosineDecay(0.1, decaySteps = 1000, alpha = 0.01).schedule shouldBe CosineDecay.keras(0.1, 1000, 0.01)
            cosineDecay(0.0, decaySteps = 1000, alpha = 0.01, warmupTarget = 0.1, warmupSteps = 100).schedule shouldBe
                CosineDecay.keras(0.0, 1000, 0.01, 0.1, 100)
            shouldThrowExactly<InvalidConfigException> { cosineDecay(0.1, decaySteps = 1000, warmupSteps = 100) }
                .message shouldStartWith "schedule.cosineDecay.warmupSteps"
        }

        test("exponentialDecay, inverseTimeDecay, piecewiseConstantDecay, cosineDecayRestarts build the engine's records") {
            exponentialDecay(0.1, decaySteps = 100, decayRate = 0.96, staircase = true).schedule shouldBe
                ExponentialDecay.keras(0.1, 100, 0.96, true)
            inverseTimeDecay(0.1, decaySteps = 100, decayRate = 0.5, staircase = true).schedule shouldBe
                InverseTimeDecay(0.1, 100, 0.5, true)
            piecewiseConstantDecay(boundaries = listOf(100, 200), values = listOf(1.0, 0.5, 0.1)).schedule shouldBe
                PiecewiseConstantDecay.keras(longArrayOf(100, 200), 1.0, 0.5, 0.1)
            cosineDecayRestarts(0.1, firstDecaySteps = 10, tMul = 3.0, mMul = 0.9, alpha = 0.01).schedule shouldBe
                CosineDecayRestarts(0.1, 10, 3.0, 0.9, 0.01)
        }
    }

    context("Optax") {
        test("optaxExponentialDecay and cosineDecaySchedule build the engine's Optax factories") {
            optaxExponentialDecay(
                1.0, transitionSteps = 10, decayRate = 0.5, transitionBegin = 5, staircase = true, endValue = 0.01,
            ).schedule shouldBe ExponentialDecay.optax(1.0, 10, 0.5, 5, true, OptionalDouble.of(0.01))
            cosineDecaySchedule(1.0, decaySteps = 100, alpha = 0.1, exponent = 2.0).schedule shouldBe
                CosineDecay.optax(1.0, 100, 0.1, 2.0)
        }

        test("warmupCosineDecaySchedule, the piecewise schedules and the one-cycles build the engine's records") {
            warmupCosineDecaySchedule(0.0, 1.0, warmupSteps = 10, decaySteps = 100, endValue = 0.1, exponent = 2.0)
                .schedule shouldBe WarmupCosineDecay(0.0, 1.0, 10, 100, 0.1, 2.0)
            piecewiseConstantSchedule(1.0, mapOf(100L to 0.1, 200L to 0.5)).schedule shouldBe
                PiecewiseConstantDecay.optax(1.0, mapOf(100L to 0.1, 200L to 0.5))
            piecewiseInterpolateSchedule(PiecewiseInterpolate.Interpolation.COSINE, 1.0, mapOf(4L to 0.1, 8L to 0.1))
                .schedule shouldBe
                PiecewiseInterpolate.of(PiecewiseInterpolate.Interpolation.COSINE, 1.0, mapOf(4L to 0.1, 8L to 0.1))
            linearOnecycleSchedule(1000, 0.1, pctStart = 0.2, pctFinal = 0.8, divFactor = 10.0, finalDivFactor = 100.0)
                .schedule shouldBe OneCycle.Linear(1000, 0.1, 0.2, 0.8, 10.0, 100.0)
            cosineOnecycleSchedule(1000, 0.1, pctStart = 0.2, divFactor = 10.0, finalDivFactor = 100.0).schedule shouldBe
                OneCycle.Cosine(1000, 0.1, 0.2, 10.0, 100.0)
        }

        test("sgdrSchedule builds Sgdr (equal by its cycles; also compared by value at steps 1..200) and refuses other cycles") {
            val dsl = sgdrSchedule(
                warmupCosineDecaySchedule(0.0, 1.0, warmupSteps = 10, decaySteps = 50),
                warmupCosineDecaySchedule(0.0, 0.5, warmupSteps = 10, decaySteps = 100, endValue = 0.01),
            )
            val engine = Sgdr.of(WarmupCosineDecay(0.0, 1.0, 10, 50, 0.0), WarmupCosineDecay(0.0, 0.5, 10, 100, 0.01))
            dsl.schedule shouldBe engine
            sameValues(dsl, engine)
            shouldThrowExactly<InvalidConfigException> { sgdrSchedule(cosineDecaySchedule(1.0, 10)) }
                .message shouldStartWith "schedule.sgdr.cycles[0] must be a warmupCosineDecaySchedule"
        }
    }

    context("precomputed, warmup, plateau") {
        test("precomputed takes a list of numbers or doubles") {
            precomputed(listOf(1, 0.5, 0.25f)).schedule shouldBe Precomputed.of(1.0, 0.5, 0.25)
            precomputed(1.0, 0.5, 0.25).schedule shouldBe Precomputed.of(1.0, 0.5, 0.25)
        }

        test("linearWarmup is the engine's Warmup in front of a schedule or a constant") {
            linearWarmup(100, start = 0.01, after = cosineDecaySchedule(1.0, 900)).schedule shouldBe
                Warmup(100, 0.01, CosineDecay.optax(1.0, 900, 0.0, 1.0))
            linearWarmup(100, after = 0.1).schedule shouldBe Warmup(100, 0.0, Schedule.constant(0.1))
        }

        test("plateau builds Plateau with every option (no value equality: same values and states at steps 1..200)") {
            val over = cosineAnnealingLR(0.1, tMax = 400)
            val dsl = plateau(
                over, mode = Plateau.Mode.MIN, factor = 0.5, patience = 3, threshold = 1e-3,
                thresholdMode = Plateau.ThresholdMode.ABS, cooldown = 2, minLr = 0.01, eps = 1e-6,
            )
            sameBehaviour(
                dsl.plateau,
                Plateau(over.schedule, Plateau.Mode.MIN, 0.5, 3, 1e-3, Plateau.ThresholdMode.ABS, 2, 0.01, 1e-6),
            )
            (dsl.plateau.scale() < 1.0) shouldBe true // the metrics did reduce it
            val max = plateau(0.1, mode = Plateau.Mode.MAX, factor = 0.3, patience = 4)
            sameBehaviour(
                max.plateau,
                Plateau(Schedule.constant(0.1), Plateau.Mode.MAX, 0.3, 4, 1e-4, Plateau.ThresholdMode.REL, 0, 0.0, 1e-8),
            ) { 2.0 - metric(it) } // improves upwards (a negative metric never stalls in PyTorch's max/rel mode)
            (max.plateau.scale() < 1.0) shouldBe true
        }

        test("Scheduled.plateau is the plateau itself, fed metrics by the caller; anything else is refused") {
            val lr = plateau(0.1, patience = 0)
            val controller = lr.plateau
            controller shouldBeSameInstanceAs lr.schedule
            controller.observe(1.0, 1)
            controller.observe(1.0, 2)
            lr.schedule.at(3) shouldBe 0.1 * 0.1
            shouldThrowExactly<IllegalStateException> { stepLR(0.1, 10).plateau }
        }
    }

    context("left out, every argument takes the engine's default") {
        // Each catalogue function with only its required arguments against the engine's own
        // constructor or factory without them: a default restated in the DSL that drifts fails here.
        val checks: Map<String, () -> Unit> = mapOf(
            "stepLR" to { stepLR(0.1, stepSize = 30).schedule shouldBe StepLR(0.1, 30) },
            "multiStepLR" to { multiStepLR(0.1, listOf(30, 80)).schedule shouldBe MultiStepLR(0.1, longArrayOf(30, 80)) },
            "constantLR" to { constantLR(0.1).schedule shouldBe ConstantLR(0.1) },
            "linearLR" to { linearLR(0.1).schedule shouldBe LinearLR(0.1) },
            "polynomialLR" to { polynomialLR(0.1).schedule shouldBe PolynomialLR(0.1) },
            "cosineAnnealingLR" to { cosineAnnealingLR(0.1, tMax = 100).schedule shouldBe CosineAnnealingLR(0.1, 100) },
            "cosineAnnealingWarmRestarts" to {
                cosineAnnealingWarmRestarts(0.1, t0 = 10).schedule shouldBe CosineAnnealingWarmRestarts(0.1, 10)
            },
            "cyclicLR" to {
                cyclicLR(0.001, 0.1).schedule shouldBe CyclicLR.of(0.001, 0.1)
                val custom = cyclicLR(0.001, 0.1) { 1 / it }.schedule as CyclicLR // the lambda is the DSL's wrapper
                custom shouldBe CyclicLR.custom(
                    0.001, 0.1, CyclicLR.DEFAULT_STEP_SIZE_UP, CyclicLR.DEFAULT_STEP_SIZE_UP, custom.scaleFn(),
                    CyclicLR.DEFAULT_SCALE_MODE,
                )
            },
            "oneCycleLR" to { oneCycleLR(0.1, totalSteps = 1000).schedule shouldBe OneCycleLR.of(0.1, 1000) },
            "cycledMomentum" to {
                sameValues(cyclicLR(0.001, 0.1, stepSizeUp = 20).cycledMomentum(), CyclicLR.of(0.001, 0.1, 20, 20,
                    CyclicLR.Mode.TRIANGULAR, 1.0).momentum())
                sameValues(oneCycleLR(0.1, totalSteps = 200).cycledMomentum(), OneCycleLR.of(0.1, 200).momentum())
            },
            // Two epochs per decay, so that is_stair and update_decay_epoch change the lists.
            "dynamicExponentialDecayLr" to {
                dynamicExponentialDecayLr(0.1, 0.9, 8, 1, 2).schedule shouldBe
                    Precomputed(DynamicLr.exponentialDecayLr(0.1, 0.9, 8, 1, 2))
            },
            "dynamicNaturalExpDecayLr" to {
                dynamicNaturalExpDecayLr(0.1, 0.9, 8, 1, 2).schedule shouldBe
                    Precomputed(DynamicLr.naturalExpDecayLr(0.1, 0.9, 8, 1, 2))
            },
            "dynamicInverseDecayLr" to {
                dynamicInverseDecayLr(0.1, 0.5, 8, 1, 2).schedule shouldBe Precomputed(DynamicLr.inverseDecayLr(0.1, 0.5, 8, 1, 2))
            },
            "dynamicPolynomialDecayLr" to {
                dynamicPolynomialDecayLr(0.1, 0.01, 8, 1, 2, 0.5).schedule shouldBe
                    Precomputed(DynamicLr.polynomialDecayLr(0.1, 0.01, 8, 1, 2, 0.5))
            },
            "exponentialDecayLR" to { exponentialDecayLR(0.1, 0.9, 4).schedule shouldBe ExponentialDecayLR(0.1, 0.9, 4) },
            "naturalExpDecayLR" to { naturalExpDecayLR(0.1, 0.9, 4).schedule shouldBe NaturalExpDecayLR(0.1, 0.9, 4) },
            "inverseDecayLR" to { inverseDecayLR(0.1, 0.9, 4).schedule shouldBe InverseDecayLR(0.1, 0.9, 4) },
            "polynomialDecayLR" to { polynomialDecayLR(0.1, 0.01, 4, 0.5).schedule shouldBe PolynomialDecayLR(0.1, 0.01, 4, 0.5) },
            "cosineDecay" to { cosineDecay(0.1, 1000).schedule shouldBe CosineDecay.keras(0.1, 1000) },
            "exponentialDecay" to { exponentialDecay(0.1, 100, 0.96).schedule shouldBe ExponentialDecay.keras(0.1, 100, 0.96) },
            "inverseTimeDecay" to { inverseTimeDecay(0.1, 100, 0.5).schedule shouldBe InverseTimeDecay(0.1, 100, 0.5) },
            "cosineDecayRestarts" to { cosineDecayRestarts(0.1, 10).schedule shouldBe CosineDecayRestarts.keras(0.1, 10) },
            "optaxExponentialDecay" to { optaxExponentialDecay(1.0, 10, 0.5).schedule shouldBe ExponentialDecay.optax(1.0, 10, 0.5) },
            "cosineDecaySchedule" to { cosineDecaySchedule(1.0, 100).schedule shouldBe CosineDecay.optax(1.0, 100) },
            "polynomialDecay" to { polynomialDecay(0.1, 100).schedule shouldBe PolynomialDecay.keras(0.1, 100) },
            "polynomialSchedule" to {
                polynomialSchedule(1.0, 0.1, 2.0, 50).schedule shouldBe PolynomialDecay.optax(1.0, 0.1, 2.0, 50, 0)
            },
            "linearSchedule" to { linearSchedule(1.0, 0.1, 50).schedule shouldBe PolynomialDecay.linear(1.0, 0.1, 50, 0) },
            "warmupExponentialDecaySchedule" to {
                warmupExponentialDecaySchedule(0.0, 1.0, 10, 5, 0.5).schedule shouldBe
                    ExponentialDecay.warmupOptax(0.0, 1.0, 10, 5, 0.5, 0, false, java.util.OptionalDouble.empty())
            },
            "warmupCosineDecaySchedule" to {
                warmupCosineDecaySchedule(0.0, 1.0, 10, 100).schedule shouldBe WarmupCosineDecay(0.0, 1.0, 10, 100)
            },
            "piecewiseConstantSchedule" to {
                piecewiseConstantSchedule(1.0).schedule shouldBe PiecewiseConstantDecay.optax(1.0, emptyMap())
            },
            "piecewiseInterpolateSchedule" to {
                piecewiseInterpolateSchedule(PiecewiseInterpolate.Interpolation.LINEAR, 1.0).schedule shouldBe
                    PiecewiseInterpolate.of(PiecewiseInterpolate.Interpolation.LINEAR, 1.0, emptyMap())
            },
            "linearOnecycleSchedule" to { linearOnecycleSchedule(1000, 0.1).schedule shouldBe OneCycle.linear(1000, 0.1) },
            "cosineOnecycleSchedule" to { cosineOnecycleSchedule(1000, 0.1).schedule shouldBe OneCycle.cosine(1000, 0.1) },
            "linearWarmup" to {
                linearWarmup(100, after = 0.1).schedule shouldBe Schedules.warmup(100).then(Schedule.constant(0.1))
            },
            "plateau" to { sameBehaviour(plateau(0.1).plateau, Plateau.over(Schedule.constant(0.1))) },
            "swaLR" to {
                swaLR(0.1, swaLr = 0.05).schedule shouldBe SWALR(0.1, 0.05)
                swaLR(before = 0.1, steps = 30, swaLr = 0.05).schedule shouldBe SWALR.after(Schedule.constant(0.1), 30, 0.05)
            },
        )

        test("the table covers every catalogue function with an optional argument") {
            val catalogue = ::stepLR.javaMethod!!.declaringClass.declaredMethods
                .mapNotNull { it.kotlinFunction }
                .filter { f -> f.visibility == KVisibility.PUBLIC && f.parameters.any { it.isOptional } }
            checks.keys shouldBe catalogue.map { it.name }.toSet()
        }

        withData(checks) { it() }
    }

    test("integer literals fit the lists of Long: listOf(30, 80) (a map's keys need 100L)") {
        multiStepLR(0.1, listOf(30, 80)).schedule shouldBe MultiStepLR(0.1, longArrayOf(30, 80), 0.1)
        sequentialLR(listOf(0.1, 0.01), listOf(10)).schedule shouldBe
            Schedules.join(listOf(Schedule.constant(0.1), Schedule.constant(0.01)), 10)
    }
})
