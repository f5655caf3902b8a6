package dev.anneal.schedule

import dev.anneal.config.InvalidConfigException
import dev.anneal.schedule.optax.CosineDecay
import dev.anneal.schedule.optax.CosineDecayRestarts
import dev.anneal.schedule.optax.ExponentialDecay
import dev.anneal.schedule.optax.InverseTimeDecay
import dev.anneal.schedule.optax.OneCycle
import dev.anneal.schedule.optax.PiecewiseConstantDecay
import dev.anneal.schedule.optax.PiecewiseInterpolate
import dev.anneal.schedule.optax.PolynomialDecay
import dev.anneal.schedule.optax.PiecewiseInterpolate.Interpolation.COSINE
import dev.anneal.schedule.optax.PiecewiseInterpolate.Interpolation.LINEAR
import dev.anneal.schedule.optax.Sgdr
import dev.anneal.schedule.optax.WarmupCosineDecay
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.doubles.plusOrMinus
import io.kotest.matchers.doubles.shouldBeGreaterThanOrEqual
import io.kotest.matchers.doubles.shouldBeLessThan
import io.kotest.matchers.doubles.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.util.OptionalDouble
import kotlin.math.PI
import kotlin.math.abs
import kotlin.math.cos
import kotlin.math.floor
import kotlin.math.max
import kotlin.math.min
import kotlin.math.pow

/**
 * Keras 3 and Optax schedules. Both evaluate a schedule at the count of completed updates, so
 * `at(step)` is checked against `f(step - 1)`: against the published formulas written out here
 * (not the engine's code), at every count of a range that crosses each boundary, and against the
 * numbers that Keras's and Optax's docstrings and tests give.
 */
class KerasOptaxScheduleSpec : FunSpec({

    /** `schedule` at count `c` (= step c + 1). */
    fun Schedule.count(c: Long) = at(c + 1)

    /** Every count in `counts` against `expected(count)`, within `tolerance` relative to max(1, |expected|). */
    fun Schedule.matches(counts: LongRange, tolerance: Double = 1e-12, expected: (Long) -> Double) {
        for (c in counts) {
            val e = expected(c)
            withClue("count $c (step ${c + 1})") { count(c) shouldBe e.plusOrMinus(tolerance * max(1.0, abs(e))) }
        }
    }

    /** Counts and the values a docstring or test prints for them. */
    fun Schedule.gives(counts: List<Long>, values: List<Double>, tolerance: Double = 1e-9) {
        counts.size shouldBe values.size
        counts.zip(values).forEach { (c, v) ->
            withClue("count $c") { count(c) shouldBe v.plusOrMinus(tolerance * max(1.0, abs(v))) }
        }
    }

    context("ExponentialDecay") {
        // Keras: init * rate^(count / decaySteps), floored when staircase. Optax adds
        // transition_begin (init before it) and end_value (a bound on the decay).
        fun formula(init: Double, steps: Long, rate: Double, stair: Boolean, begin: Long, end: Double?) = { c: Long ->
            val d = c - begin
            val p = d.toDouble() / steps
            var v = if (d <= 0) init else init * rate.pow(if (stair) floor(p) else p)
            if (end != null) v = if (rate < 1) max(v, end) else min(v, end)
            v
        }

        data class Row(val init: Double, val steps: Long, val rate: Double, val stair: Boolean, val begin: Long, val end: Double?)

        val rows = listOf(0.96, 2.0).flatMap { rate ->
            listOf(false, true).flatMap { stair ->
                listOf(0L, 5L).flatMap { begin ->
                    listOf(null, if (rate < 1) 0.08 else 3.0).map { end -> Row(0.1, 3, rate, stair, begin, end) }
                }
            }
        }
        withData(nameFn = { "formula at counts 0..60: $it" }, rows) { r ->
            val end = r.end?.let { OptionalDouble.of(it) } ?: OptionalDouble.empty()
            ExponentialDecay.optax(r.init, r.steps, r.rate, r.begin, r.stair, end)
                .matches(0L..60L, expected = formula(r.init, r.steps, r.rate, r.stair, r.begin, r.end))
        }

        test("Keras's tests: continuous at count 5, staircase at counts 1, 2 and 100") {
            ExponentialDecay.keras(0.05, 10, 0.96, false).count(5) shouldBe (0.05 * 0.96.pow(5.0 / 10.0)).plusOrMinus(1e-15)
            val stair = ExponentialDecay.keras(0.1, 3, 0.96, true)
            stair.count(1) shouldBe 0.1
            stair.count(2) shouldBe 0.1
            stair.count(100) shouldBe (0.1 * 0.96.pow(100 / 3)).plusOrMinus(1e-15)
        }

        test("Optax's tests: rate 2 every 2 counts, begun after 5, and end values as bounds") {
            for (stair in listOf(false, true)) {
                val s = ExponentialDecay.optax(1.0, 2, 2.0, 5, stair, OptionalDouble.empty())
                s.matches(0L..19L) { c -> if (c < 5) 1.0 else 2.0.pow(if (stair) floor((c - 5) / 2.0) else (c - 5) / 2.0) }
            }
            val lower = ExponentialDecay.optax(1.0, 2, 0.2, 3, false, OptionalDouble.of(0.1))
            lower.count(3) shouldBe 1.0
            lower.count(5) shouldBe 0.2.plusOrMinus(1e-15)
            lower.count(13) shouldBe 0.1
            val upper = ExponentialDecay.optax(1.0, 2, 2.0, 3, true, OptionalDouble.of(3.0))
            upper.gives(listOf(3L, 4L, 5L, 6L, 7L, 13L), listOf(1.0, 1.0, 2.0, 2.0, 3.0, 3.0))
        }
    }

    context("PolynomialDecay") {
        /** Optax's polynomial_schedule and Keras's PolynomialDecay as their sources write them. */
        fun optaxFormula(init: Double, end: Double, power: Double, steps: Long, begin: Long) = { c: Long ->
            val d = min(max(c - begin, 0L), steps)
            (init - end) * (1.0 - d.toDouble() / steps).pow(power) + end
        }
        fun kerasCycle(init: Double, end: Double, power: Double, steps: Long) = { c: Long ->
            val multiplier = if (c == 0L) 1.0 else kotlin.math.ceil(c.toDouble() / steps)
            (init - end) * (1.0 - c / (steps * multiplier)).pow(power) + end
        }

        test("Optax's rule at every count 0..60: held before the begin, polynomial, held at the end") {
            PolynomialDecay.optax(30.0, 10.0, 2.0, 10, 4).matches(0L..60L, expected = optaxFormula(30.0, 10.0, 2.0, 10, 4))
            PolynomialDecay.optax(-1.0, 3.0, 0.5, 7, 0).matches(0L..60L, expected = optaxFormula(-1.0, 3.0, 0.5, 7, 0))
            PolynomialDecay.linear(1.0, 0.01, 25, 3).matches(0L..60L, expected = optaxFormula(1.0, 0.01, 1.0, 25, 3))
        }

        test("Keras's cycle at every count 0..60: up again after each multiple of the decay steps") {
            PolynomialDecay.keras(0.05, 10, 0.001, 0.5, true).matches(0L..60L, expected = kerasCycle(0.05, 0.001, 0.5, 10))
            PolynomialDecay.keras(0.1, 7, 0.0, 2.0, true).matches(0L..60L, expected = kerasCycle(0.1, 0.0, 2.0, 7))
            val cycling = PolynomialDecay.keras(1.0, 10, 0.0, 1.0, true)
            cycling.gives(listOf(10L, 11L, 20L, 21L), listOf(0.0, 1 - 11.0 / 20, 0.0, 1 - 21.0 / 30))
        }

        test("Keras's tests: linear and square-root decay halfway, at the end, beyond it, with a cycle, and at count 0") {
            PolynomialDecay.keras(0.05, 10, 0.0, 1.0, false).gives(listOf(5L), listOf(0.05 * 0.5), 1e-6)
            PolynomialDecay.keras(0.05, 10, 0.001, 1.0, false).gives(listOf(10L, 5L, 15L), listOf(0.001, (0.05 + 0.001) * 0.5, 0.001), 1e-6)
            PolynomialDecay.keras(0.05, 10, 0.001, 1.0, true).gives(listOf(15L), listOf((0.05 - 0.001) * 0.25 + 0.001), 1e-6)
            PolynomialDecay.keras(0.05, 10, 0.0, 0.5, false).gives(listOf(5L), listOf(0.05 * 0.5.pow(0.5)), 1e-6)
            PolynomialDecay.keras(0.05, 10, 0.001, 0.5, false).gives(listOf(10L, 5L, 15L),
                listOf(0.001, (0.05 - 0.001) * 0.5.pow(0.5) + 0.001, 0.001), 1e-6)
            PolynomialDecay.keras(0.05, 10, 0.001, 0.5, true).gives(listOf(15L), listOf((0.05 - 0.001) * 0.25.pow(0.5) + 0.001), 1e-6)
            PolynomialDecay(0.001, PolynomialDecay.DEFAULT_KERAS_END, 1.0, 10, 0, true).gives(listOf(0L), listOf(0.001), 1e-6)
        }

        test("Keras's defaults: down to 1e-4, linear, no cycle") {
            PolynomialDecay.keras(0.1, 100) shouldBe PolynomialDecay.keras(0.1, 100, 1e-4, 1.0, false)
        }

        test("Optax's tests: 10 to 20 linear, 25 to 10 quadratic, 30 to 10 quadratic begun after 4; the docstrings") {
            PolynomialDecay.optax(10.0, 20.0, 1.0, 10, 0).gives((0L..14L).toList(),
                (10..19).map { it.toDouble() } + List(5) { 20.0 }, 1e-3)
            PolynomialDecay.optax(25.0, 10.0, 2.0, 10, 0).gives((0L..14L).toList(),
                (0..9).map { 10.0 + 15.0 * (1.0 - it / 10.0).pow(2) } + List(5) { 10.0 }, 1e-3)
            PolynomialDecay.optax(30.0, 10.0, 2.0, 10, 4).gives((0L..19L).toList(),
                List(4) { 30.0 } + (0..9).map { 10.0 + 20.0 * (1.0 - it / 10.0).pow(2) } + List(6) { 10.0 }, 1e-3)
            PolynomialDecay.optax(1.0, 0.01, 2.0, 100, 5).gives(listOf(0L, 5L, 6L, 104L, 105L, 110L),
                listOf(1.0, 1.0, 0.9803, 0.0101, 0.0100, 0.0100), 5e-5)
            PolynomialDecay.linear(1.0, 0.01, 100, 0).gives(listOf(0L, 100L), listOf(1.0, 0.01))
        }

        test("Optax's warmup_constant_schedule is its linear_schedule from init to peak, held after") {
            PolynomialDecay.warmupConstant(0.0, 2.0, 8).matches(0L..30L) { c -> 2.0 * min(c, 8L) / 8 }
        }

        test("Optax's warmup_exponential_decay_schedule: linear to the peak, then exponential_decay from it, joined at the warmup") {
            val end = OptionalDouble.of(0.05)
            ExponentialDecay.warmupOptax(0.1, 1.0, 5, 3, 0.5, 2, false, end).matches(0L..60L) { c ->
                if (c < 5) 0.1 + 0.9 * c / 5 else {
                    val d = c - 5 - 2
                    max(if (d <= 0) 1.0 else 0.5.pow(d / 3.0), 0.05)
                }
            }
            ExponentialDecay.warmupOptax(0.0, 1.0, 4, 2, 0.5, 0, true, OptionalDouble.empty()).matches(0L..30L) { c ->
                if (c < 4) c / 4.0 else 0.5.pow(floor((c - 4) / 2.0))
            }
        }

        test("no decay steps, a negative begin and a cycle with a begin are refused") {
            shouldThrowExactly<InvalidConfigException> { PolynomialDecay.optax(1.0, 0.0, 1.0, 0, 0) }.message shouldContain "decaySteps"
            shouldThrowExactly<InvalidConfigException> { PolynomialDecay.optax(1.0, 0.0, 1.0, 5, -1) }.message shouldContain "transitionBegin"
            shouldThrowExactly<InvalidConfigException> { PolynomialDecay(1.0, 0.0, 1.0, 5, 2, true) }.message shouldContain "cycle"
        }
    }

    context("PiecewiseConstantDecay") {
        test("Keras's rule at every count: values[i] while count <= boundaries[i], the last after the last boundary") {
            val b = longArrayOf(100, 110, 120)
            val v = doubleArrayOf(1.0, 0.1, 0.01, 0.001)
            PiecewiseConstantDecay.keras(b, *v).matches(0L..130L) { c -> v[b.count { c > it }] }
        }
        test("Keras's tests: [100, 110, 120] and [1, 2, 3]") {
            PiecewiseConstantDecay.keras(longArrayOf(100, 110, 120), 1.0, 0.1, 0.01, 0.001)
                .gives(listOf(100L, 105L, 110L, 120L, 999L), listOf(1.0, 0.1, 0.1, 0.01, 0.001))
            PiecewiseConstantDecay.keras(longArrayOf(1, 2, 3), 0.4, 0.5, 0.6, 0.7)
                .gives((0L..4L).toList(), listOf(0.4, 0.4, 0.5, 0.6, 0.7))
        }
        test("Keras's docstring: 1.0 for the first 100001 steps, 0.5 for the next 10000, then 0.1") {
            val s = PiecewiseConstantDecay.keras(longArrayOf(100000, 110000), 1.0, 0.5, 0.1)
            listOf(s.at(1), s.at(100001), s.at(100002), s.at(110001), s.at(110002)) shouldContainExactly
                listOf(1.0, 1.0, 0.5, 0.5, 0.1)
        }
        test("Optax's rule at every count: init times each scale whose threshold the count has reached") {
            val scales = linkedMapOf(6L to 0.5, 3L to 2.0)
            PiecewiseConstantDecay.optax(0.1, scales).matches(0L..12L) { c ->
                scales.toSortedMap().entries.fold(0.1) { v, (t, s) -> if (c >= t) v * s else v }
            }
        }
        test("Optax's docstring and tests: {100: 0.1, 200: 0.01}, {3: 2, 6: 0.5} from 0.1 and from -0.1") {
            PiecewiseConstantDecay.optax(1.0, mapOf(100L to 0.1, 200L to 0.01))
                .gives(listOf(50L, 150L, 250L), listOf(1.0, 0.1, 0.001))
            val expected = listOf(0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1)
            PiecewiseConstantDecay.optax(0.1, mapOf(3L to 2.0, 6L to 0.5)).gives((0L..9L).toList(), expected)
            PiecewiseConstantDecay.optax(-0.1, mapOf(3L to 2.0, 6L to 0.5)).gives((0L..9L).toList(), expected.map { -it })
        }
        test("Optax switches at the threshold, Keras one count after the boundary") {
            val optax = PiecewiseConstantDecay.optax(1.0, mapOf(10L to 0.5))
            val keras = PiecewiseConstantDecay.keras(longArrayOf(10), 1.0, 0.5)
            listOf(optax.count(9), optax.count(10)) shouldContainExactly listOf(1.0, 0.5)
            listOf(keras.count(10), keras.count(11)) shouldContainExactly listOf(1.0, 0.5)
        }
        test("no thresholds: the initial value throughout") {
            PiecewiseConstantDecay.optax(0.3, emptyMap()).matches(0L..5L) { 0.3 }
        }
    }

    context("InverseTimeDecay") {
        withData(nameFn = { "staircase $it, counts 0..50" }, listOf(false, true)) { stair ->
            InverseTimeDecay(0.1, 10, 0.96, stair).matches(0L..50L) { c ->
                0.1 / (1 + 0.96 * (if (stair) floor(c / 10.0) else c / 10.0))
            }
        }
        test("Keras's tests: 0.1 / (1 + i / 10 * 0.96) and 0.1 / (1 + 0.96 * (i // 10)) for i in 0..10") {
            val s = InverseTimeDecay(0.1, 10, 0.96, false)
            val t = InverseTimeDecay(0.1, 10, 0.96, true)
            for (i in 0L..10L) {
                s.count(i) shouldBe (0.1 / (1 + i / 10.0 * 0.96)).plusOrMinus(1e-15)
                t.count(i) shouldBe (0.1 / (1 + 0.96 * (i / 10))).plusOrMinus(1e-15)
            }
        }
    }

    // Keras's test helper np_cosine_decay, with Optax's exponent.
    fun cosineMultiplier(c: Double, decay: Double, alpha: Double = 0.0, exponent: Double = 1.0): Double {
        val fraction = min(c, decay) / decay
        return (1 - alpha) * (0.5 * (1 + cos(PI * fraction))).pow(exponent) + alpha
    }

    context("CosineDecay") {
        data class Row(val alpha: Double, val exponent: Double)
        withData(nameFn = { "no warmup, counts 0..40: $it" }, listOf(Row(0.0, 1.0), Row(0.1, 1.0), Row(0.05, 2.0), Row(-0.5, 0.5))) { r ->
            CosineDecay.optax(2.0, 30, r.alpha, r.exponent).matches(0L..40L) { c ->
                2.0 * cosineMultiplier(c.toDouble(), 30.0, r.alpha, r.exponent)
            }
        }
        test("Keras's warmup at every count: linear from the initial value to the target, then the decay from the target") {
            CosineDecay.keras(0.01, 20, 0.1, 1.0, 8).matches(0L..40L) { c ->
                if (c < 8) (1.0 - 0.01) * (c / 8.0) + 0.01 else 1.0 * cosineMultiplier(c - 8.0, 20.0, 0.1)
            }
        }
        test("Keras's warmup is Warmup in front of the decay: both reach the target at the first count of the decay") {
            val keras = CosineDecay.keras(0.0, 50, 0.0, 1.0, 10)
            val composed = Schedules.warmup(10, 0.0, CosineDecay.keras(1.0, 50, 0.0))
            composed.matches(0L..70L) { c -> keras.count(c) }
        }
        test("Keras's tests: decay and alpha over 1000 steps, warmup over 1500, warmup 2000 then decay 1000") {
            for (step in 0L until 1500L step 250) {
                CosineDecay.keras(1.0, 1000, 0.0).count(step) shouldBe cosineMultiplier(step.toDouble(), 1000.0).plusOrMinus(1e-12)
                CosineDecay.keras(1.0, 1000, 0.1).count(step) shouldBe cosineMultiplier(step.toDouble(), 1000.0, 0.1).plusOrMinus(1e-12)
                CosineDecay.keras(0.0, 10, 0.0, 10.0, 1500).count(step) shouldBe (step / 1500.0 * 10.0).plusOrMinus(1e-12)
            }
            for (step in 0L until 3000L step 250) {
                val expected = if (step < 2001) step / 2000.0 * 10.0 else 10.0 * cosineMultiplier(step - 2000.0, 1000.0)
                CosineDecay.keras(0.0, 1000, 0.0, 10.0, 2000).count(step) shouldBe expected.plusOrMinus(1e-12)
            }
        }
        test("Optax's tests: exponent 2 over 100 counts, and 1e10 decay steps at count 1e9") {
            // Optax computed these in float32; its tolerance, rtol 1e-6.
            CosineDecay.optax(0.1, 100, 0.0, 2.0).gives(
                listOf(0L, 10L, 50L, 75L, 100L),
                listOf(0.1, 0.09516553580760956, 0.025, 0.0021446612663567066, 0.0),
                tolerance = 1e-6,
            )
            CosineDecay.optax(1000.0, 10_000_000_000L, 0.0, 1.0).count(1_000_000_000L) shouldBe 975.52826.plusOrMinus(1e-4)
        }
    }

    context("CosineDecayRestarts") {
        // Keras's test helper np_cosine_decay_restarts: walk the cycles one by one.
        fun restarts(count: Long, first: Double, tMul: Double, mMul: Double, alpha: Double): Double {
            var step = count.toDouble()
            var decay = first
            var fac = 1.0
            while (step >= decay) {
                step -= decay
                decay *= tMul
                fac *= mMul
            }
            return (1 - alpha) * fac * 0.5 * (1 + cos(PI * step / decay)) + alpha
        }

        data class Row(val tMul: Double, val mMul: Double, val alpha: Double)
        val rows = listOf(Row(2.0, 1.0, 0.0), Row(1.0, 0.8, 0.05), Row(2.0, 0.9, 0.1), Row(3.0, 0.5, 0.0), Row(1.5, 1.0, 0.2))
        withData(nameFn = { "first 7, counts 0..400: $it" }, rows) { r ->
            CosineDecayRestarts(3.0, 7, r.tMul, r.mMul, r.alpha).matches(0L..400L) { c ->
                3.0 * restarts(c, 7.0, r.tMul, r.mMul, r.alpha)
            }
        }
        test("Keras's tests: defaults, alpha 0.1, mMul 0.9 and tMul 1 over 1000 steps") {
            for (step in 0L until 1500L step 250) {
                CosineDecayRestarts.keras(1.0, 1000).count(step) shouldBe restarts(step, 1000.0, 2.0, 1.0, 0.0).plusOrMinus(1e-12)
                CosineDecayRestarts(1.0, 1000, 2.0, 1.0, 0.1).count(step) shouldBe restarts(step, 1000.0, 2.0, 1.0, 0.1).plusOrMinus(1e-12)
                CosineDecayRestarts(1.0, 1000, 2.0, 0.9, 0.0).count(step) shouldBe restarts(step, 1000.0, 2.0, 0.9, 0.0).plusOrMinus(1e-12)
                CosineDecayRestarts(1.0, 1000, 1.0, 1.0, 0.0).count(step) shouldBe restarts(step, 1000.0, 1.0, 1.0, 0.0).plusOrMinus(1e-12)
            }
        }
        test("each restart starts its cycle at the top, mMul^i higher, the floor not scaled") {
            // tMul 3, first 5: cycles start at counts 0, 5, 20, 65, 200, 605. At 605 Keras's
            // floor(log(1 + 2 * 121) / log(3)) gives 4, not 5, in double precision.
            val s = CosineDecayRestarts(1.0, 5, 3.0, 0.5, 0.1)
            listOf(0L, 5L, 20L, 65L, 200L, 605L).forEachIndexed { i, c ->
                s.count(c) shouldBe (0.9 * 0.5.pow(i) + 0.1).plusOrMinus(1e-12)
                s.count(c - 1) shouldBeLessThan s.count(c) + (if (c == 0L) 1.0 else 0.0)
            }
        }
    }

    context("WarmupCosineDecay") {
        // Optax: linear_schedule(init, peak, warmup) joined at `warmup` to
        // cosine_decay_schedule(peak, decay - warmup, alpha = end / peak, exponent).
        fun formula(init: Double, peak: Double, warmup: Long, decay: Long, end: Double, exponent: Double) = { c: Long ->
            if (c < warmup) init + (peak - init) * c / warmup
            else peak * cosineMultiplier((c - warmup).toDouble(), (decay - warmup).toDouble(), if (peak == 0.0) 0.0 else end / peak, exponent)
        }

        data class Row(val init: Double, val peak: Double, val warmup: Long, val decay: Long, val end: Double, val exponent: Double)
        val rows = listOf(
            Row(0.0, 1.0, 10, 50, 0.0, 1.0), Row(0.1, 2.0, 5, 30, 0.2, 2.0),
            Row(1.0, 0.5, 4, 20, 1e-3, 1.0), Row(0.3, 1.0, 0, 25, 0.0, 1.0),
        )
        withData(nameFn = { "counts 0..70: $it" }, rows) { r ->
            WarmupCosineDecay(r.init, r.peak, r.warmup, r.decay, r.end, r.exponent)
                .matches(0L..70L, expected = formula(r.init, r.peak, r.warmup, r.decay, r.end, r.exponent))
        }
        test("Optax's tests: the limits, with and without an end value") {
            WarmupCosineDecay(10.0, 0.5, 100, 1000, 1e-4).gives(listOf(0L, 100L), listOf(10.0, 0.5))
            WarmupCosineDecay(10.0, 0.5, 100, 1000, 1e-4).count(1000) shouldBe 1e-4.plusOrMinus(1e-7)
            WarmupCosineDecay(5.0, 3.0, 100, 1000, 0.0).gives(listOf(0L, 100L, 1000L), listOf(5.0, 3.0, 0.0))
        }
        test("Optax's tests: exponent 2 with a negative end value, and a zero peak that ignores the end value") {
            // Optax's numbers are float32; within its own tolerance, rtol 1e-6.
            WarmupCosineDecay(0.2, 1.21, 50, 100, -3.0, 2.0).gives(
                listOf(0L, 10L, 50L, 75L, 100L),
                listOf(0.20000004768371582, 0.4020000100135803, 1.2100000381469727, -1.947500228881836, -3.000000238418579),
                tolerance = 1e-6,
            )
            WarmupCosineDecay(0.2, 0.0, 50, 100, -3.0, 2.0)
                .gives(listOf(0L, 10L, 50L, 75L, 100L), listOf(0.2, 0.16, 0.0, 0.0, 0.0))
        }
        test("Optax's test: warmup rises, the peak at the boundary, the decay never rises, exponent 2 below exponent 1") {
            val regular = WarmupCosineDecay(0.0, 1.0, 5, 25, 0.1, 1.0)
            val steep = WarmupCosineDecay(0.0, 1.0, 5, 25, 0.1, 2.0)
            for (c in 0L until 5L) regular.count(c) shouldBeLessThan regular.count(c + 1)
            regular.count(5) shouldBe 1.0.plusOrMinus(1e-12)
            for (c in 5L until 25L) regular.count(c) shouldBeGreaterThanOrEqual regular.count(c + 1)
            regular.count(25) shouldBe 0.1.plusOrMinus(1e-12)
            for (c in 5L..25L) steep.count(c) shouldBeLessThanOrEqual regular.count(c) + 1e-12
        }
        test("is Warmup in front of Optax's cosine decay") {
            val optax = WarmupCosineDecay(0.1, 2.0, 5, 30, 0.2, 2.0)
            val composed = Schedules.warmup(5, 0.1, CosineDecay.optax(2.0, 25, 0.1, 2.0))
            optax.matches(0L..40L) { c -> composed.count(c) }
        }
    }

    context("PiecewiseInterpolate") {
        // Optax's formula: v = cumprod(init, scales) reached at counts 0, b0, b1, ...;
        // linear: (v1 - v0) * pct + v0, cosine: v1 + (v0 - v1) / 2 * (cos(pi pct) + 1).
        fun formula(cosine: Boolean, init: Double, table: Map<Long, Double>) = { c: Long ->
            val sorted = table.toSortedMap()
            val bounds = listOf(0L) + sorted.keys
            val values = sorted.values.runningFold(init) { v, s -> v * s }
            var result = values.last()
            for (i in 0 until bounds.size - 1) {
                if (bounds[i] <= c && c < bounds[i + 1]) {
                    val pct = (c - bounds[i]).toDouble() / max(bounds[i + 1] - bounds[i], 1L)
                    val (a, b) = values[i] to values[i + 1]
                    result = if (cosine) b + (a - b) / 2 * (cos(PI * pct) + 1) else (b - a) * pct + a
                }
            }
            result
        }

        data class Row(val cosine: Boolean, val init: Double, val table: Map<Long, Double>)
        val rows = listOf(false, true).flatMap { cosine ->
            listOf(
                Row(cosine, 1.0, mapOf(4L to 0.1, 8L to 0.01)),
                Row(cosine, 200.0, mapOf(5L to 1.5, 10L to 0.25)),
                Row(cosine, 400.0, linkedMapOf(5L to 1.2, 3L to 0.6, 7L to 1.0)),
                Row(cosine, 13.0, mapOf(0L to 2.0, 5L to 3.0)),
                Row(cosine, 2.0, mapOf(1L to 0.0, 2L to 5.0, 30L to 0.5)),
            )
        }
        withData(nameFn = { "counts 0..40: $it" }, rows) { r ->
            PiecewiseInterpolate.of(if (r.cosine) COSINE else LINEAR, r.init, r.table)
                .matches(0L..40L, expected = formula(r.cosine, r.init, r.table))
        }
        test("Optax's docstring: linear from 1.0 with {4: 0.1, 8: 0.01}") {
            PiecewiseInterpolate.of(LINEAR, 1.0, mapOf(4L to 0.1, 8L to 0.01))
                .gives(listOf(0L, 2L, 4L, 6L, 8L, 10L), listOf(1.0, 0.55, 0.1, 0.0505, 0.001, 0.001))
        }
        test("Optax's tests: linear and cosine pieces, unsorted boundaries, no boundaries, a zero-length first piece") {
            PiecewiseInterpolate.of(LINEAR, 200.0, mapOf(5L to 1.5, 10L to 0.25)).gives(
                (0L..12L).toList(),
                listOf(200.0, 220.0, 240.0, 260.0, 280.0, 300.0, 255.0, 210.0, 165.0, 120.0, 75.0, 75.0, 75.0),
            )
            PiecewiseInterpolate.of(COSINE, 400.0, linkedMapOf(5L to 1.2, 3L to 0.6, 7L to 1.0)).gives(
                (0L..8L).toList(),
                listOf(400.0, 360.0, 280.0, 240.0, 264.0, 288.0, 288.0, 288.0, 288.0),
            )
            PiecewiseInterpolate.of(LINEAR, 13.0, emptyMap()).gives((0L..4L).toList(), List(5) { 13.0 })
            PiecewiseInterpolate.of(COSINE, 17.0, emptyMap()).gives((0L..2L).toList(), List(3) { 17.0 })
            val zero = PiecewiseInterpolate.of(LINEAR, 13.0, mapOf(0L to 2.0, 5L to 3.0))
            zero.gives(listOf(0L, 5L), listOf(26.0, 78.0))
        }
    }

    context("OneCycle") {
        test("Optax's test: linear, 10 steps, peak 1000, pctStart 0.3, pctFinal 0.7, div 10, final div 100") {
            OneCycle.Linear(10, 1000.0, 0.3, 0.7, 10.0, 100.0).gives(
                (0L..11L).toList(),
                listOf(100.0, 400.0, 700.0, 1000.0, 775.0, 550.0, 325.0, 100.0, 67.0, 34.0, 1.0, 1.0),
            )
        }
        test("Optax's test: cosine, 5 steps, peak 1000, pctStart 0.4, div 10, final div 100") {
            OneCycle.Cosine(5, 1000.0, 0.4, 10.0, 100.0)
                .gives((0L..6L).toList(), listOf(100.0, 550.0, 1000.0, 750.25, 250.75, 1.0, 1.0))
        }
        test("is the piecewise interpolation Optax builds, with Optax's defaults") {
            val linear = OneCycle.linear(1000, 0.5)
            linear shouldBe OneCycle.Linear(1000, 0.5, 0.3, 0.85, 25.0, 1e4)
            val table = mapOf(300L to 25.0, 850L to 1.0 / 25.0, 1000L to 1e-4)
            linear.matches(0L..1010L) { c -> PiecewiseInterpolate.of(LINEAR, 0.5 / 25.0, table).count(c) }
            val cosine = OneCycle.cosine(1000, 0.5)
            cosine shouldBe OneCycle.Cosine(1000, 0.5, 0.3, 25.0, 1e4)
            cosine.matches(0L..1010L) { c ->
                PiecewiseInterpolate.of(COSINE, 0.5 / 25.0, mapOf(300L to 25.0, 1000L to 1.0 / (25.0 * 1e4))).count(c)
            }
            cosine.count(300) shouldBe 0.5.plusOrMinus(1e-15)
            cosine.count(1000) shouldBe (0.5 / 25.0 / 1e4).plusOrMinus(1e-18)
        }
        test("lasts transitionSteps steps: a longer run is refused before training") {
            for (s in listOf(OneCycle.linear(100, 0.1), OneCycle.cosine(100, 0.1))) {
                s.validSteps() shouldBe 100L
                Schedules.checkBudget("optimizer.sgd.lr", s, 100)
                val e = shouldThrowExactly<InvalidConfigException> { Schedules.checkBudget("optimizer.sgd.lr", s, 101) }
                e.message shouldContain "lasts 100 steps, but the run is planned for 101"
            }
        }
    }

    context("Sgdr") {
        test("Optax's test: three cycles of 2000, 3000 and 5000 counts reach their peaks after 500 warmup counts") {
            for ((lr0, lr1, lr2) in listOf(Triple(1.6, 0.8, 0.4), Triple(1.6, 1.6, 1.6))) {
                val s = Sgdr.of(
                    WarmupCosineDecay(0.0, lr0, 500, 2000, 0.0),
                    WarmupCosineDecay(0.0, lr1, 500, 3000, 0.0),
                    WarmupCosineDecay(0.0, lr2, 500, 5000, 0.0),
                )
                s.gives(listOf(500L, 2500L, 5500L), listOf(lr0, lr1, lr2))
            }
        }
        test("each cycle counts from its own start, and the last holds its end value") {
            val cycles = listOf(
                WarmupCosineDecay(0.0, 1.0, 2, 10, 0.1),
                WarmupCosineDecay(0.5, 0.8, 0, 6, 0.05, 2.0),
                WarmupCosineDecay(0.0, 0.4, 3, 8, 0.0),
            )
            val s = Sgdr(cycles)
            val starts = listOf(0L, 10L, 16L)
            s.matches(0L..40L) { c ->
                val k = starts.indexOfLast { c >= it }
                cycles[k].count(c - starts[k])
            }
            s.count(40) shouldBe 0.0.plusOrMinus(1e-15)
            s.validSteps() shouldBe Long.MAX_VALUE
        }
    }

    data class Bad(val description: String, val path: String, val fragments: List<String>, val attempt: () -> Any?)

    val bad = listOf(
        Bad("exponential decay over 0 steps", "schedule.exponentialDecay.decaySteps", listOf("must be at least 1", "got 0")) {
            ExponentialDecay.keras(0.1, 0, 0.96, false)
        },
        Bad("exponential decay rate 0", "schedule.exponentialDecay.decayRate", listOf("must be positive (> 0)", "got 0.0")) {
            ExponentialDecay.optax(0.1, 10, 0.0, 0, false, OptionalDouble.empty())
        },
        Bad("exponential decay begun before step 0", "schedule.exponentialDecay.transitionBegin", listOf("must be at least 0", "got -5")) {
            ExponentialDecay.optax(0.1, 10, 0.5, -5, false, OptionalDouble.empty())
        },
        Bad("Keras boundaries out of order", "schedule.piecewiseConstantDecay.boundaries[1]",
            listOf("must be greater than boundaries[0] 110", "strictly increase", "got 100")) {
            PiecewiseConstantDecay.keras(longArrayOf(110, 100), 1.0, 0.5, 0.1)
        },
        Bad("Keras boundaries repeated", "schedule.piecewiseConstantDecay.boundaries[1]",
            listOf("must be greater than boundaries[0] 100", "got 100")) {
            PiecewiseConstantDecay.keras(longArrayOf(100, 100), 1.0, 0.5, 0.1)
        },
        Bad("Keras values not one more than boundaries", "schedule.piecewiseConstantDecay.values",
            listOf("one more value than boundaries", "2 boundaries [10, 20]", "got 2 values [1.0, 0.5]")) {
            PiecewiseConstantDecay.keras(longArrayOf(10, 20), 1.0, 0.5)
        },
        Bad("Optax negative scale", "schedule.piecewiseConstantDecay.boundariesAndScales[200]",
            listOf("non-negative (>= 0)", "got -0.01")) {
            PiecewiseConstantDecay.optax(1.0, mapOf(100L to 0.1, 200L to -0.01))
        },
        Bad("inverse time decay over 0 steps", "schedule.inverseTimeDecay.decaySteps", listOf("must be at least 1", "got 0")) {
            InverseTimeDecay(0.1, 0, 0.5, false)
        },
        Bad("inverse time decay negative rate", "schedule.inverseTimeDecay.decayRate", listOf("must be non-negative (>= 0)", "got -0.5")) {
            InverseTimeDecay(0.1, 10, -0.5, false)
        },
        Bad("cosine decay over 0 steps", "schedule.cosineDecay.decaySteps", listOf("must be at least 1", "got 0")) {
            CosineDecay.keras(0.1, 0, 0.0)
        },
        Bad("cosine warmup steps without a target", "schedule.cosineDecay.warmupSteps",
            listOf("needs a warmupTarget", "got warmupSteps 100")) {
            CosineDecay(0.1, 1000, 0.0, 1.0, OptionalDouble.empty(), 100)
        },
        Bad("cosine exponent 0", "schedule.cosineDecay.exponent", listOf("must be positive (> 0)", "got 0.0")) {
            CosineDecay.optax(0.1, 100, 0.0, 0.0)
        },
        Bad("restarts with shrinking cycles", "schedule.cosineDecayRestarts.tMul", listOf("must be at least 1", "got 0.5")) {
            CosineDecayRestarts(0.1, 100, 0.5, 1.0, 0.0)
        },
        Bad("restarts over 0 steps", "schedule.cosineDecayRestarts.firstDecaySteps", listOf("must be at least 1", "got 0")) {
            CosineDecayRestarts.keras(0.1, 0)
        },
        Bad("warmup cosine whose decay equals its warmup", "schedule.warmupCosineDecay.decaySteps",
            listOf("must be greater than warmupSteps 10", "got 10")) {
            WarmupCosineDecay(0.2, 1.2, 10, 10, 0.0)
        },
        Bad("one-cycle over 0 steps", "schedule.oneCycle.transitionSteps", listOf("must be at least 1", "got 0")) {
            OneCycle.linear(0, 0.1)
        },
        Bad("one-cycle phases that truncate to one step", "schedule.oneCycle.pctFinal",
            listOf("int(pctFinal * 10) = 3 must be greater than int(pctStart * 10) = 3", "got pctStart 0.3 and pctFinal 0.35")) {
            OneCycle.Linear(10, 0.1, 0.3, 0.35, 25.0, 1e4)
        },
        Bad("one-cycle peak at the very end", "schedule.oneCycle.pctStart",
            listOf("int(pctStart * 10) = 10 must be less than 10", "got 1.0")) {
            OneCycle.Cosine(10, 0.1, 1.0, 25.0, 1e4)
        },
        Bad("one-cycle pctStart above 1", "schedule.oneCycle.pctStart", listOf("must be in [0.0, 1.0]", "got 1.5")) {
            OneCycle.Cosine(10, 0.1, 1.5, 25.0, 1e4)
        },
        Bad("one-cycle div factor 0", "schedule.oneCycle.divFactor", listOf("must be positive (> 0)", "got 0.0")) {
            OneCycle.Linear(100, 0.1, 0.3, 0.85, 0.0, 1e4)
        },
        Bad("interpolation with a negative scale", "schedule.piecewiseInterpolate.scales[0]",
            listOf("non-negative (>= 0)", "got -3.0")) {
            PiecewiseInterpolate.of(LINEAR, 13.0, mapOf(5L to -3.0))
        },
        Bad("interpolation with a negative boundary", "schedule.piecewiseInterpolate.boundaries[0]",
            listOf("must be at least 0", "got -5")) {
            PiecewiseInterpolate.of(LINEAR, 13.0, mapOf(-5L to 2.0))
        },
        Bad("interpolation boundaries out of order", "schedule.piecewiseInterpolate.boundaries[1]",
            listOf("must be greater than boundaries[0] 8", "got 4")) {
            PiecewiseInterpolate(LINEAR, 1.0, longArrayOf(8, 4), doubleArrayOf(0.1, 0.1))
        },
        Bad("interpolation without a type", "schedule.piecewiseInterpolate.interpolation", listOf("is required")) {
            PiecewiseInterpolate(null, 1.0, longArrayOf(), doubleArrayOf())
        },
        Bad("SGDR without cycles", "schedule.sgdr.cycles", listOf("needs at least one cycle")) {
            Sgdr(emptyList())
        },
    )

    context("bad arguments are refused with the path and a message showing the value and the rule") {
        withData(nameFn = { it.description }, bad) { row ->
            val e = shouldThrowExactly<InvalidConfigException> { row.attempt() }
            e.violations().single().path() shouldBe row.path
            row.fragments.forEach { e.message shouldContain it }
        }
    }

    test("several bad arguments of one schedule are reported together") {
        val e = shouldThrowExactly<InvalidConfigException> { ExponentialDecay.keras(Double.NaN, 0, -1.0, false) }
        e.violations().map { it.path() } shouldContainExactly listOf(
            "schedule.exponentialDecay.initialValue", "schedule.exponentialDecay.decaySteps", "schedule.exponentialDecay.decayRate",
        )
    }
})
