package dev.anneal.grad

import dev.anneal.config.Checks
import dev.anneal.config.InvalidConfigException
import dev.anneal.optim.Optimizers
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import kotlin.random.Random

/**
 * The loss-scale rules step by step against independent write-ups of the two published ones:
 * MindSpore's DynamicLossScaleUpdateCell (an iteration counter and the iteration of the last
 * overflow or growth), and GradScaler's growth tracker for the fixed and edge cases.
 */
class LossScaleSpec : FunSpec({
    /** MindSpore's cell, as nn/wrap/loss_scale.py writes it, in float32. */
    class MindSporeCell(var scale: Float, val factor: Float, val window: Long) {
        var curIter = 1L
        var lastOverflowIter = 0L

        fun update(overflow: Boolean) {
            val onOverflow = if (overflow) maxOf(scale * (1f / factor), 1f) else scale
            val shouldInc = window <= curIter - lastOverflowIter
            if (overflow || shouldInc) lastOverflowIter = curIter
            scale = if (shouldInc && !overflow) onOverflow * factor else onOverflow
            curIter++
        }
    }

    test("mindSporeDynamic follows DynamicLossScaleUpdateCell over 5000 steps of random overflows") {
        for ((init, factor, window) in listOf(Triple(16777216.0, 2.0, 2000L), Triple(8.0, 2.0, 3L), Triple(4.0, 4.0, 1L))) {
            val random = Random(7)
            val rule = LossScale.mindSporeDynamic(init, factor, window)
            var state = rule.start()
            val cell = MindSporeCell(init.toFloat(), factor.toFloat(), window)
            repeat(5000) { i ->
                // Gradients overflow above 2^20, as float16 ones would, and now and then anyway.
                val overflow = cell.scale > 1048576f || random.nextDouble() < 0.02 || i % 700 < 20
                state = rule.after(state, !overflow)
                cell.update(overflow)
                state.scale() shouldBe cell.scale
            }
        }
    }

    test("GradScaler's rule: backoff on overflow, growth after the interval, never to infinity, no floor") {
        val rule = LossScale.dynamic(65536.0, 2.0, 0.5, 3)
        var s = rule.start()
        s = rule.after(s, false)
        s shouldBe LossScale.State(32768f, 0)
        s = rule.after(rule.after(s, true), true)
        s shouldBe LossScale.State(32768f, 2)
        s = rule.after(s, true)
        s shouldBe LossScale.State(65536f, 0)
        rule.after(LossScale.State(Float.MAX_VALUE, 2), true) shouldBe LossScale.State(Float.MAX_VALUE, 0)
        rule.after(LossScale.State(Float.MIN_VALUE, 0), false).scale() shouldBe 0f
        LossScale.mindSporeDynamic().after(LossScale.State(1f, 5), false) shouldBe LossScale.State(1f, 0)
    }

    test("Momentum's own static loss scale beside a LossScale is refused: the gradients would be divided twice") {
        val e = shouldThrowExactly<InvalidConfigException> {
            Optimizers.momentum().lr(0.1).momentum(0.9).lossScale(128.0).lossScale(LossScale.dynamic())
                .group("head") { it.lossScale(64.0) }.build()
        }
        e.violations().map { it.path() } shouldBe listOf("optimizer.momentum.lossScale", "optimizer.group[\"head\"].lossScale")
        e.message shouldContain "is 128.0 while lossScale(${LossScale.dynamic()}) divides the gradients by its own scale as well"
        // either one alone is fine
        Optimizers.momentum().lr(0.1).momentum(0.9).lossScale(128.0).build()
        Optimizers.momentum().lr(0.1).momentum(0.9).lossScale(LossScale.dynamic()).build()
    }

    test("a fixed scale never moves; none scales nothing") {
        val fixed = LossScale.fixed(128.0, true)
        fixed.after(fixed.start(), false) shouldBe fixed.start()
        fixed.after(fixed.start(), true) shouldBe fixed.start()
        LossScale.none().scales() shouldBe false
        LossScale.none().start().scale() shouldBe 1f
        LossScale.fixed(1.0, false) shouldBe LossScale.none()
        fixed.scales() shouldBe true
    }

    test("the unscaling factor is 1 / scale rounded to float32, as GradScaler's double reciprocal") {
        LossScale.State(3f, 0).unscale() shouldBe (1.0 / 3.0).toFloat()
        LossScale.State(65536f, 0).unscale() shouldBe 1f / 65536f
    }

    data class Bad(val description: String, val make: () -> LossScale, val field: String, val fragment: String)
    withData(
        nameFn = { it.description },
        Bad("a zero scale", { LossScale.fixed(0.0, true) }, "optimizer.lossScale.initScale", "got 0.0"),
        Bad("a NaN scale", { LossScale.dynamic(Double.NaN, 2.0, 0.5, 10) }, "optimizer.lossScale.initScale", "NaN"),
        Bad("a scale beyond float32", { LossScale.fixed(1e39, true) }, "optimizer.lossScale.initScale", "float32"),
        Bad("a growth factor of 1", { LossScale.dynamic(1024.0, 1.0, 0.5, 10) }, "optimizer.lossScale", "growthFactor must be > 1"),
        Bad("a backoff of 1.5", { LossScale.dynamic(1024.0, 2.0, 1.5, 10) }, "optimizer.lossScale", "backoffFactor < 1"),
        Bad("an interval of 0", { LossScale.dynamic(1024.0, 2.0, 0.5, 0) }, "optimizer.lossScale.growthInterval", "at least 1"),
        Bad("a MindSpore scale below 1", { LossScale.mindSporeDynamic(0.5, 2.0, 10) }, "optimizer.lossScale.initScale", "at least 1"),
        Bad("a MindSpore factor of 1", { LossScale.mindSporeDynamic(8.0, 1.0, 10) }, "optimizer.lossScale.scaleFactor", "greater than 1"),
    ) { bad ->
        val e = shouldThrowExactly<InvalidConfigException> { bad.make() }
        e.violations().first().path() shouldBe bad.field
        e.message shouldContain bad.fragment
    }

    test("a saved state this scaling cannot reach is reported by field") {
        val c = Checks("state")
        LossScale.dynamic(1024.0, 2.0, 0.5, 10).check(LossScale.State(-1f, 10), c)
        c.violations().map { it.path() } shouldBe listOf("state.lossScale", "state.goodSteps")
        val fixed = Checks("state")
        LossScale.fixed(128.0, true).check(LossScale.State(256f, 0), fixed)
        fixed.violations().single().problem() shouldContain "fixed at 128.0"
        val floor = Checks("state")
        LossScale.mindSporeDynamic().check(LossScale.State(0.5f, 0), floor)
        floor.violations().single().problem() shouldContain "below this scaling's minimum 1.0"
    }
})
