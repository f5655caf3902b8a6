package dev.anneal.schedule

import dev.anneal.schedule.mindspore.DynamicLr
import dev.anneal.schedule.mindspore.ExponentialDecayLR
import dev.anneal.schedule.mindspore.InverseDecayLR
import dev.anneal.schedule.mindspore.NaturalExpDecayLR
import dev.anneal.schedule.mindspore.PolynomialDecayLR
import dev.anneal.schedule.optax.CosineDecay
import dev.anneal.schedule.optax.CosineDecayRestarts
import dev.anneal.schedule.optax.ExponentialDecay
import dev.anneal.schedule.optax.InverseTimeDecay
import dev.anneal.schedule.optax.OneCycle
import dev.anneal.schedule.optax.WarmupCosineDecay
import dev.anneal.schedule.torch.ConstantLR
import dev.anneal.schedule.torch.CosineAnnealingLR
import dev.anneal.schedule.torch.CosineAnnealingWarmRestarts
import dev.anneal.schedule.torch.CyclicLR
import dev.anneal.schedule.torch.LinearLR
import dev.anneal.schedule.torch.MultiStepLR
import dev.anneal.schedule.torch.OneCycleLR
import dev.anneal.schedule.torch.PolynomialLR
import dev.anneal.schedule.torch.SWALR
import dev.anneal.schedule.torch.StepLR
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import java.util.OptionalDouble

/**
 * The constructors and factories that leave out the optional arguments take the reference's
 * documented defaults, which are written out here as numbers (the PyTorch constants are also
 * checked against torch itself, in TorchScheduleGoldenSpec).
 */
class ScheduleDefaultsSpec : FunSpec({
    test("PyTorch: gamma 0.1, ConstantLR 1/3 for 5, LinearLR 1/3 to 1 over 5, PolynomialLR 5 and power 1, eta_min 0, T_mult 1") {
        StepLR(0.1, 30) shouldBe StepLR(0.1, 30, 0.1)
        MultiStepLR(0.1, longArrayOf(30, 80)) shouldBe MultiStepLR(0.1, longArrayOf(30, 80), 0.1)
        ConstantLR(0.1) shouldBe ConstantLR(0.1, 1.0 / 3, 5)
        LinearLR(0.1) shouldBe LinearLR(0.1, 1.0 / 3, 1.0, 5)
        PolynomialLR(0.1) shouldBe PolynomialLR(0.1, 5, 1.0)
        CosineAnnealingLR(0.1, 100) shouldBe CosineAnnealingLR(0.1, 100, 0.0)
        CosineAnnealingWarmRestarts(0.1, 10) shouldBe CosineAnnealingWarmRestarts(0.1, 10, 1, 0.0)
    }

    test("PyTorch: SWALR anneals over 10 steps along a cosine (anneal_epochs 10, anneal_strategy 'cos')") {
        SWALR(0.1, 0.05) shouldBe SWALR(0.1, 0.05, 10, true)
        SWALR.after(Schedule.constant(0.1), 20, 0.05) shouldBe SWALR.after(Schedule.constant(0.1), 20, 0.05, 10, true)
    }

    test("PyTorch: CyclicLR 2000 steps up and as many down, triangular, gamma 1; OneCycleLR 0.3, cos, 25, 1e4, two phases") {
        CyclicLR.of(0.001, 0.1) shouldBe
            CyclicLR(0.001, 0.1, 2000, 2000, CyclicLR.Mode.TRIANGULAR, 1.0, null, CyclicLR.ScaleMode.CYCLE)
        OneCycleLR.of(0.1, 1000) shouldBe OneCycleLR(0.1, 1000, 0.3, true, 25.0, 1e4, false)
    }

    test("PyTorch: momentum cycles between 0.8 and 0.9 for CyclicLR, 0.85 and 0.95 for OneCycleLR") {
        val cyclic = CyclicLR.of(0.001, 0.1, 20, 30, CyclicLR.Mode.TRIANGULAR, 1.0)
        val oneCycle = OneCycleLR.of(0.1, 200)
        for (step in 1L..200L) {
            cyclic.momentum().at(step) shouldBe cyclic.momentum(0.8, 0.9).at(step)
            oneCycle.momentum().at(step) shouldBe oneCycle.momentum(0.85, 0.95).at(step)
        }
    }

    test("MindSpore: is_stair, update_decay_steps and update_decay_epoch are false") {
        ExponentialDecayLR(0.1, 0.9, 4) shouldBe ExponentialDecayLR(0.1, 0.9, 4, false)
        NaturalExpDecayLR(0.1, 0.9, 4) shouldBe NaturalExpDecayLR(0.1, 0.9, 4, false)
        InverseDecayLR(0.1, 0.9, 4) shouldBe InverseDecayLR(0.1, 0.9, 4, false)
        PolynomialDecayLR(0.1, 0.01, 4, 0.5) shouldBe PolynomialDecayLR(0.1, 0.01, 4, 0.5, false)
        // Two epochs per decay and eight epochs, so that the flags change the lists.
        val lists = listOf(
            Triple(DynamicLr.exponentialDecayLr(0.1, 0.9, 8, 1, 2), DynamicLr.exponentialDecayLr(0.1, 0.9, 8, 1, 2, false),
                DynamicLr.exponentialDecayLr(0.1, 0.9, 8, 1, 2, true)),
            Triple(DynamicLr.naturalExpDecayLr(0.1, 0.9, 8, 1, 2), DynamicLr.naturalExpDecayLr(0.1, 0.9, 8, 1, 2, false),
                DynamicLr.naturalExpDecayLr(0.1, 0.9, 8, 1, 2, true)),
            Triple(DynamicLr.inverseDecayLr(0.1, 0.5, 8, 1, 2), DynamicLr.inverseDecayLr(0.1, 0.5, 8, 1, 2, false),
                DynamicLr.inverseDecayLr(0.1, 0.5, 8, 1, 2, true)),
            Triple(DynamicLr.polynomialDecayLr(0.1, 0.01, 8, 1, 2, 0.5),
                DynamicLr.polynomialDecayLr(0.1, 0.01, 8, 1, 2, 0.5, false),
                DynamicLr.polynomialDecayLr(0.1, 0.01, 8, 1, 2, 0.5, true)),
        )
        for ((short, off, on) in lists) {
            short.toList() shouldBe off.toList()
            short.toList() shouldNotBe on.toList()
        }
    }

    test("Keras: CosineDecay alpha 0 and no warmup, staircase false, CosineDecayRestarts t_mul 2, m_mul 1, alpha 0") {
        CosineDecay.keras(0.1, 1000) shouldBe CosineDecay(0.1, 1000, 0.0, 1.0, OptionalDouble.empty(), 0)
        ExponentialDecay.keras(0.1, 100, 0.96) shouldBe ExponentialDecay(0.1, 100, 0.96, false, 0, OptionalDouble.empty())
        InverseTimeDecay(0.1, 100, 0.5) shouldBe InverseTimeDecay(0.1, 100, 0.5, false)
        CosineDecayRestarts.keras(0.1, 10) shouldBe CosineDecayRestarts(0.1, 10, 2.0, 1.0, 0.0)
    }

    test("Optax: transition_begin 0, staircase false, no end value; alpha 0, exponent 1, end_value 0; one-cycle 0.3, 0.85, 25, 1e4") {
        ExponentialDecay.optax(1.0, 10, 0.5) shouldBe ExponentialDecay(1.0, 10, 0.5, false, 0, OptionalDouble.empty())
        CosineDecay.optax(1.0, 100) shouldBe CosineDecay(1.0, 100, 0.0, 1.0, OptionalDouble.empty(), 0)
        WarmupCosineDecay(0.0, 1.0, 10, 100) shouldBe WarmupCosineDecay(0.0, 1.0, 10, 100, 0.0, 1.0)
        OneCycle.linear(1000, 0.1) shouldBe OneCycle.Linear(1000, 0.1, 0.3, 0.85, 25.0, 1e4)
        OneCycle.cosine(1000, 0.1) shouldBe OneCycle.Cosine(1000, 0.1, 0.3, 25.0, 1e4)
    }

    test("a warmup starts from 0, as a schedule and as a phase; a cosine phase ends at 0") {
        Schedules.warmup(5).then(Schedule.constant(1.0)) shouldBe Warmup(5, 0.0, Schedule.constant(1.0))
        Phase.warmup(Duration.steps(5)) shouldBe Phase.warmup(Duration.steps(5), 0.0)
        Phase.cosine(Duration.steps(5), 1.0) shouldBe Phase.cosine(Duration.steps(5), 1.0, 0.0)
    }
})
