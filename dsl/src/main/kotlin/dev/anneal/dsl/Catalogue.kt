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
import dev.anneal.schedule.torch.Multiplicative
import dev.anneal.schedule.torch.MultiplicativeLR
import dev.anneal.schedule.torch.OneCycleLR
import dev.anneal.schedule.torch.PolynomialLR
import dev.anneal.schedule.torch.SWALR
import dev.anneal.schedule.torch.StepLR
import java.util.OptionalDouble
import java.util.function.DoubleUnaryOperator
import java.util.function.LongToDoubleFunction

// The engine's schedule catalogues as DSL values, one function per schedule, with the source
// system's argument names and the defaults the engine declares (its `DEFAULT_` constants):
// `adam(lr = stepLR(base = 0.1, stepSize = 30))`.
// Steps are optimizer steps: the published formulas read t = step - 1 (PyTorch's scheduler steps,
// MindSpore's global_step, Keras's and Optax's count), so step 1 takes the value at t = 0.

// ---------------------------------------------------------------------------------------------
// PyTorch, torch.optim.lr_scheduler. `base` is the value the optimizer group starts from (its lr).
// ---------------------------------------------------------------------------------------------

/** PyTorch's `StepLR`: `base * gamma^floor(t / stepSize)`. */
public fun stepLR(base: Double, stepSize: Long, gamma: Double = StepLR.DEFAULT_GAMMA): Scheduled =
    StepLR(base, stepSize, gamma).scheduled

/**
 * PyTorch's `MultiStepLR`: [base] times [gamma] once for every milestone `<= t` (a repeated milestone
 * counts twice).
 */
public fun multiStepLR(base: Double, milestones: List<Long>, gamma: Double = MultiStepLR.DEFAULT_GAMMA): Scheduled =
    MultiStepLR(base, milestones.toLongArray(), gamma).scheduled

/** PyTorch's `ConstantLR`: `base * factor` for the first [totalIters] steps, then [base]. */
public fun constantLR(
    base: Double,
    factor: Double = ConstantLR.DEFAULT_FACTOR,
    totalIters: Long = ConstantLR.DEFAULT_TOTAL_ITERS,
): Scheduled = ConstantLR(base, factor, totalIters).scheduled

/**
 * PyTorch's `LinearLR`: the factor on [base] goes linearly from [startFactor] to [endFactor] over
 * [totalIters] steps, then stays.
 */
public fun linearLR(
    base: Double,
    startFactor: Double = LinearLR.DEFAULT_START_FACTOR,
    endFactor: Double = LinearLR.DEFAULT_END_FACTOR,
    totalIters: Long = LinearLR.DEFAULT_TOTAL_ITERS,
): Scheduled = LinearLR(base, startFactor, endFactor, totalIters).scheduled

/** PyTorch's `ExponentialLR`: `base * gamma^t`. */
public fun exponentialLR(base: Double, gamma: Double): Scheduled = ExponentialLR(base, gamma).scheduled

/** PyTorch's `PolynomialLR`: `base * (1 - min(t, totalIters) / totalIters)^power`. */
public fun polynomialLR(
    base: Double,
    totalIters: Long = PolynomialLR.DEFAULT_TOTAL_ITERS,
    power: Double = PolynomialLR.DEFAULT_POWER,
): Scheduled = PolynomialLR(base, totalIters, power).scheduled

/**
 * PyTorch's `CosineAnnealingLR` (`T_max`, `eta_min`): `etaMin + (base - etaMin) * (1 + cos(pi * t / tMax)) / 2`,
 * rising again past [tMax] as PyTorch's does.
 */
public fun cosineAnnealingLR(base: Double, tMax: Long, etaMin: Double = CosineAnnealingLR.DEFAULT_ETA_MIN): Scheduled =
    CosineAnnealingLR(base, tMax, etaMin).scheduled

/**
 * PyTorch's `CosineAnnealingWarmRestarts` (`T_0`, `T_mult`, `eta_min`): cosine annealing from [base]
 * to [etaMin] over cycles of [t0] steps, each [tMult] times longer than the last.
 */
public fun cosineAnnealingWarmRestarts(
    base: Double,
    t0: Long,
    tMult: Long = CosineAnnealingWarmRestarts.DEFAULT_T_MULT,
    etaMin: Double = CosineAnnealingWarmRestarts.DEFAULT_ETA_MIN,
): Scheduled = CosineAnnealingWarmRestarts(base, t0, tMult, etaMin).scheduled

/**
 * PyTorch's `CyclicLR` with a built-in [mode] (`triangular`, `triangular2`, `exp_range` with [gamma]):
 * up from [baseLr] to [maxLr] in [stepSizeUp] steps, down in [stepSizeDown] (by default
 * [stepSizeUp]). Its momentum cycle is [cycledMomentum].
 */
public fun cyclicLR(
    baseLr: Double,
    maxLr: Double,
    stepSizeUp: Long = CyclicLR.DEFAULT_STEP_SIZE_UP,
    stepSizeDown: Long? = null,
    mode: CyclicLR.Mode = CyclicLR.DEFAULT_MODE,
    gamma: Double = CyclicLR.DEFAULT_GAMMA,
): Scheduled = CyclicLR.of(baseLr, maxLr, stepSizeUp, stepSizeDown ?: stepSizeUp, mode, gamma).scheduled

/**
 * PyTorch's `CyclicLR` with a custom `scale_fn`, given the cycle number or the step count as
 * [scaleMode] says: `cyclicLR(0.001, 0.1) { cycle -> 1 / cycle }`.
 */
public fun cyclicLR(
    baseLr: Double,
    maxLr: Double,
    stepSizeUp: Long = CyclicLR.DEFAULT_STEP_SIZE_UP,
    stepSizeDown: Long? = null,
    scaleMode: CyclicLR.ScaleMode = CyclicLR.DEFAULT_SCALE_MODE,
    scaleFn: (Double) -> Double,
): Scheduled = CyclicLR.custom(
    baseLr, maxLr, stepSizeUp, stepSizeDown ?: stepSizeUp, DoubleUnaryOperator { scaleFn(it) }, scaleMode,
).scheduled

/**
 * PyTorch's `OneCycleLR` over [totalSteps]: from `maxLr / divFactor` up to [maxLr] over the first
 * [pctStart] of the run, then down to `maxLr / divFactor / finalDivFactor`, along a cosine
 * (`anneal_strategy='cos'`) or, with `cosine = false`, linearly; [threePhase] as PyTorch's
 * `three_phase`. Its momentum cycle is [cycledMomentum].
 */
public fun oneCycleLR(
    maxLr: Double,
    totalSteps: Long,
    pctStart: Double = OneCycleLR.DEFAULT_PCT_START,
    cosine: Boolean = OneCycleLR.DEFAULT_COSINE,
    divFactor: Double = OneCycleLR.DEFAULT_DIV_FACTOR,
    finalDivFactor: Double = OneCycleLR.DEFAULT_FINAL_DIV_FACTOR,
    threePhase: Boolean = OneCycleLR.DEFAULT_THREE_PHASE,
): Scheduled = OneCycleLR(maxLr, totalSteps, pctStart, cosine, divFactor, finalDivFactor, threePhase).scheduled

/**
 * The momentum (or Adam's beta1) that cycles against a [cyclicLR] or [oneCycleLR] value, between
 * [maxMomentum] and [baseMomentum], as PyTorch's `cycle_momentum`. Left out, they are PyTorch's
 * defaults for that scheduler (`CyclicLR.DEFAULT_BASE_MOMENTUM`, ...).
 */
public fun Scheduled.cycledMomentum(baseMomentum: Double? = null, maxMomentum: Double? = null): Scheduled =
    when (val s = schedule) {
        is CyclicLR -> s.momentum(
            baseMomentum ?: CyclicLR.DEFAULT_BASE_MOMENTUM, maxMomentum ?: CyclicLR.DEFAULT_MAX_MOMENTUM,
        ).scheduled
        is OneCycleLR -> s.momentum(
            baseMomentum ?: OneCycleLR.DEFAULT_BASE_MOMENTUM, maxMomentum ?: OneCycleLR.DEFAULT_MAX_MOMENTUM,
        ).scheduled
        else -> throw InvalidConfigException(
            "schedule.cycledMomentum", "needs a cyclicLR or oneCycleLR schedule, got $s",
        )
    }

/** PyTorch's `LambdaLR`: `base * lrLambda(t)`: `lambdaLR(0.1) { t -> 0.95.pow(t.toDouble()) }`. */
public fun lambdaLR(base: Double, lrLambda: (Long) -> Double): Scheduled =
    LambdaLR(base, LongToDoubleFunction { lrLambda(it) }).scheduled

/**
 * PyTorch's `MultiplicativeLR`: each step multiplies the value by `lrLambda(t)`,
 * `base * lrLambda(1) * ... * lrLambda(t)`.
 */
public fun multiplicativeLR(base: Double, lrLambda: (Long) -> Double): Scheduled =
    MultiplicativeLR(base, LongToDoubleFunction { lrLambda(it) }).scheduled

/**
 * PyTorch's `ChainedScheduler`: the factors of [schedulers] multiplied, `base * factor1(t) * factor2(t) * ...`.
 * Each is one of the multiplicative PyTorch schedules ([stepLR], [multiStepLR], [constantLR],
 * [linearLR], [exponentialLR], [polynomialLR], [cosineAnnealingLR], [multiplicativeLR], or a chain),
 * all with the same base.
 */
public fun chainedScheduler(vararg schedulers: Scheduled): Scheduled = Chained(
    schedulers.mapIndexed { i, s ->
        s.schedule as? Multiplicative ?: throw InvalidConfigException(
            "schedule.chained.schedulers[$i]",
            "must be a multiplicative PyTorch schedule (stepLR, multiStepLR, constantLR, linearLR, " +
                "exponentialLR, polynomialLR, cosineAnnealingLR, multiplicativeLR or chainedScheduler), " +
                "got ${s.schedule}",
        )
    },
).scheduled

/**
 * PyTorch's `SequentialLR`: [schedulers] one after another, scheduler `i` taking over after
 * `milestones[i-1]` steps and counting from its own start (the engine's `Schedules.join`, also
 * Optax's `join_schedules`). Plain numbers are constants.
 */
public fun sequentialLR(schedulers: List<Number>, milestones: List<Long>): Scheduled =
    Schedules.join(schedulers.map { it.toSchedule() }, *milestones.toLongArray()).scheduled

// ---------------------------------------------------------------------------------------------
// PyTorch, torch.optim.swa_utils.
// ---------------------------------------------------------------------------------------------

/**
 * PyTorch's `SWALR` (`swa_lr`, `anneal_epochs`, `anneal_strategy`): from [base], the learning rate
 * when it starts, to [swaLr] over [annealEpochs] steps along a cosine (`'cos'`) or, with
 * `cosine = false`, a line (`'linear'`), then [swaLr]; step 1 takes [base]. Joined after another
 * schedule it starts over at [base] (SWALR made at the switch); for PyTorch's usual switch, see the
 * other `swaLR`, which takes over from that schedule.
 */
public fun swaLR(
    base: Double,
    swaLr: Double,
    annealEpochs: Long = SWALR.DEFAULT_ANNEAL_EPOCHS,
    cosine: Boolean = SWALR.DEFAULT_COSINE,
): Scheduled = SWALR(base, swaLr, annealEpochs, cosine).scheduled

/**
 * [before] (a schedule or a constant) for [steps] steps, then PyTorch's `SWALR` from the value it
 * ended at, as `SequentialLR` or stepping SWALR after `swa_start` gives it: the first step after
 * the switch already anneals. `swaLR(before = cosineAnnealingLR(0.1, tMax = 100), steps = 80, swaLr = 0.005)`.
 */
public fun swaLR(
    before: Number,
    steps: Long,
    swaLr: Double,
    annealEpochs: Long = SWALR.DEFAULT_ANNEAL_EPOCHS,
    cosine: Boolean = SWALR.DEFAULT_COSINE,
): Scheduled = SWALR.after(before.toSchedule(), steps, swaLr, annealEpochs, cosine).scheduled

// ---------------------------------------------------------------------------------------------
// MindSpore, mindspore.nn.dynamic_lr: the whole list of totalStep values, used one per step. Each is
// `dynamic` and the function's name, after MindSpore's "Dynamic LR function" family, so that
// `dynamicCosineDecayLr` (`cosine_decay_lr`) and `cosineDecayLR` (`nn.CosineDecayLR`, below) differ
// by more than a letter's case.
// ---------------------------------------------------------------------------------------------

/**
 * MindSpore's `piecewise_constant_lr` as a precomputed list: `learningRates[i]` up to step
 * `milestones[i]`; `milestones.last()` values in all.
 */
public fun dynamicPiecewiseConstantLr(milestones: List<Int>, learningRates: List<Double>): Scheduled =
    Precomputed(DynamicLr.piecewiseConstantLr(milestones.toIntArray(), learningRates.toDoubleArray())).scheduled

/**
 * MindSpore's `exponential_decay_lr` as a precomputed list:
 * `learningRate * decayRate^(epoch / decayEpoch)`, floored when [isStair].
 */
public fun dynamicExponentialDecayLr(
    learningRate: Double,
    decayRate: Double,
    totalStep: Int,
    stepPerEpoch: Int,
    decayEpoch: Int,
    isStair: Boolean = DynamicLr.DEFAULT_IS_STAIR,
): Scheduled = Precomputed(
    DynamicLr.exponentialDecayLr(learningRate, decayRate, totalStep, stepPerEpoch, decayEpoch, isStair),
).scheduled

/**
 * MindSpore's `natural_exp_decay_lr` as a precomputed list: `learningRate * e^(-decayRate * epoch)`,
 * the epoch floored to a multiple of [decayEpoch] when [isStair].
 */
public fun dynamicNaturalExpDecayLr(
    learningRate: Double,
    decayRate: Double,
    totalStep: Int,
    stepPerEpoch: Int,
    decayEpoch: Int,
    isStair: Boolean = DynamicLr.DEFAULT_IS_STAIR,
): Scheduled = Precomputed(
    DynamicLr.naturalExpDecayLr(learningRate, decayRate, totalStep, stepPerEpoch, decayEpoch, isStair),
).scheduled

/**
 * MindSpore's `inverse_decay_lr` as a precomputed list:
 * `learningRate / (1 + decayRate * epoch / decayEpoch)`, floored when [isStair].
 */
public fun dynamicInverseDecayLr(
    learningRate: Double,
    decayRate: Double,
    totalStep: Int,
    stepPerEpoch: Int,
    decayEpoch: Int,
    isStair: Boolean = DynamicLr.DEFAULT_IS_STAIR,
): Scheduled = Precomputed(
    DynamicLr.inverseDecayLr(learningRate, decayRate, totalStep, stepPerEpoch, decayEpoch, isStair),
).scheduled

/** MindSpore's `cosine_decay_lr` as a precomputed list: cosine from [maxLr] to [minLr] over [decayEpoch] epochs. */
public fun dynamicCosineDecayLr(
    minLr: Double,
    maxLr: Double,
    totalStep: Int,
    stepPerEpoch: Int,
    decayEpoch: Int,
): Scheduled =
    Precomputed(DynamicLr.cosineDecayLr(minLr, maxLr, totalStep, stepPerEpoch, decayEpoch)).scheduled

/**
 * MindSpore's `polynomial_decay_lr` as a precomputed list:
 * `(learningRate - endLearningRate) * (1 - t / d)^power + endLearningRate` over [decayEpoch] epochs,
 * restarting every [decayEpoch] epochs with [updateDecayEpoch].
 */
public fun dynamicPolynomialDecayLr(
    learningRate: Double,
    endLearningRate: Double,
    totalStep: Int,
    stepPerEpoch: Int,
    decayEpoch: Int,
    power: Double,
    updateDecayEpoch: Boolean = DynamicLr.DEFAULT_UPDATE_DECAY_EPOCH,
): Scheduled = Precomputed(
    DynamicLr.polynomialDecayLr(
        learningRate, endLearningRate, totalStep, stepPerEpoch, decayEpoch, power, updateDecayEpoch,
    ),
).scheduled

/** MindSpore's `warmup_lr` as a precomputed list: `learningRate * min(epoch, warmupEpoch) / warmupEpoch`. */
public fun dynamicWarmupLr(learningRate: Double, totalStep: Int, stepPerEpoch: Int, warmupEpoch: Int): Scheduled =
    Precomputed(DynamicLr.warmupLr(learningRate, totalStep, stepPerEpoch, warmupEpoch)).scheduled

// ---------------------------------------------------------------------------------------------
// MindSpore, the LearningRateSchedule classes of mindspore.nn, at global_step = step - 1.
// ---------------------------------------------------------------------------------------------

/**
 * MindSpore's `nn.ExponentialDecayLR`: `learningRate * decayRate^(globalStep / decaySteps)`, floored
 * when [isStair].
 */
public fun exponentialDecayLR(
    learningRate: Double,
    decayRate: Double,
    decaySteps: Long,
    isStair: Boolean = ExponentialDecayLR.DEFAULT_IS_STAIR,
): Scheduled = ExponentialDecayLR(learningRate, decayRate, decaySteps, isStair).scheduled

/**
 * MindSpore's `nn.NaturalExpDecayLR`: `learningRate * e^(-decayRate * p)`, `p` the global step,
 * floored to a multiple of [decaySteps] when [isStair].
 */
public fun naturalExpDecayLR(
    learningRate: Double,
    decayRate: Double,
    decaySteps: Long,
    isStair: Boolean = NaturalExpDecayLR.DEFAULT_IS_STAIR,
): Scheduled = NaturalExpDecayLR(learningRate, decayRate, decaySteps, isStair).scheduled

/**
 * MindSpore's `nn.InverseDecayLR`: `learningRate / (1 + decayRate * globalStep / decaySteps)`, floored
 * when [isStair].
 */
public fun inverseDecayLR(
    learningRate: Double,
    decayRate: Double,
    decaySteps: Long,
    isStair: Boolean = InverseDecayLR.DEFAULT_IS_STAIR,
): Scheduled = InverseDecayLR(learningRate, decayRate, decaySteps, isStair).scheduled

/** MindSpore's `nn.CosineDecayLR`: cosine from [maxLr] to [minLr] over [decaySteps], then [minLr]. */
public fun cosineDecayLR(minLr: Double, maxLr: Double, decaySteps: Long): Scheduled =
    CosineDecayLR(minLr, maxLr, decaySteps).scheduled

/**
 * MindSpore's `nn.PolynomialDecayLR`: `(learningRate - endLearningRate) * (1 - p)^power + endLearningRate`,
 * `p = min(globalStep, decaySteps) / decaySteps`, restarting over longer spans with [updateDecaySteps].
 */
public fun polynomialDecayLR(
    learningRate: Double,
    endLearningRate: Double,
    decaySteps: Long,
    power: Double,
    updateDecaySteps: Boolean = PolynomialDecayLR.DEFAULT_UPDATE_DECAY_STEPS,
): Scheduled = PolynomialDecayLR(learningRate, endLearningRate, decaySteps, power, updateDecaySteps).scheduled

/** MindSpore's `nn.WarmUpLR`: `learningRate * min(globalStep, warmupSteps) / warmupSteps`. */
public fun warmUpLR(learningRate: Double, warmupSteps: Long): Scheduled = WarmUpLR(learningRate, warmupSteps).scheduled

// ---------------------------------------------------------------------------------------------
// Keras 3, keras.optimizers.schedules, with Keras's names.
// ---------------------------------------------------------------------------------------------

/**
 * Keras's `CosineDecay`: cosine from [initialLearningRate] (or, with a [warmupTarget], linearly up
 * to it over [warmupSteps] first) down to [alpha] times that over [decaySteps].
 */
public fun cosineDecay(
    initialLearningRate: Double,
    decaySteps: Long,
    alpha: Double = CosineDecay.DEFAULT_ALPHA,
    warmupTarget: Double? = null,
    warmupSteps: Long = CosineDecay.DEFAULT_WARMUP_STEPS,
): Scheduled = CosineDecay.keras(initialLearningRate, decaySteps, alpha, optional(warmupTarget), warmupSteps).scheduled

/** Keras's `ExponentialDecay`: `initialLearningRate * decayRate^(t / decaySteps)`, floored when [staircase]. */
public fun exponentialDecay(
    initialLearningRate: Double,
    decaySteps: Long,
    decayRate: Double,
    staircase: Boolean = ExponentialDecay.DEFAULT_STAIRCASE,
): Scheduled = ExponentialDecay.keras(initialLearningRate, decaySteps, decayRate, staircase).scheduled

/** Keras's `InverseTimeDecay`: `initialLearningRate / (1 + decayRate * t / decaySteps)`, floored when [staircase]. */
public fun inverseTimeDecay(
    initialLearningRate: Double,
    decaySteps: Long,
    decayRate: Double,
    staircase: Boolean = InverseTimeDecay.DEFAULT_STAIRCASE,
): Scheduled = InverseTimeDecay(initialLearningRate, decaySteps, decayRate, staircase).scheduled

/**
 * Keras's `PolynomialDecay`: `(initialLearningRate - endLearningRate) * (1 - t / decaySteps)^power +
 * endLearningRate`, held at the end; with [cycle], the decay stretches to the next multiple of
 * [decaySteps] instead, so it rises again after each.
 */
public fun polynomialDecay(
    initialLearningRate: Double,
    decaySteps: Long,
    endLearningRate: Double = PolynomialDecay.DEFAULT_KERAS_END,
    power: Double = PolynomialDecay.DEFAULT_POWER,
    cycle: Boolean = PolynomialDecay.DEFAULT_CYCLE,
): Scheduled = PolynomialDecay.keras(initialLearningRate, decaySteps, endLearningRate, power, cycle).scheduled

/**
 * Keras's `PiecewiseConstantDecay`: `values[i]` while `t <= boundaries[i]`, then the last value; one
 * more value than boundaries.
 */
public fun piecewiseConstantDecay(boundaries: List<Long>, values: List<Double>): Scheduled =
    PiecewiseConstantDecay.keras(boundaries.toLongArray(), *values.toDoubleArray()).scheduled

/**
 * Keras's `CosineDecayRestarts` (SGDR): cosine cycles, the first [firstDecaySteps] long, each next
 * [tMul] times longer and starting [mMul] times higher, each ending at [alpha] times [initialLearningRate].
 */
public fun cosineDecayRestarts(
    initialLearningRate: Double,
    firstDecaySteps: Long,
    tMul: Double = CosineDecayRestarts.DEFAULT_T_MUL,
    mMul: Double = CosineDecayRestarts.DEFAULT_M_MUL,
    alpha: Double = CosineDecayRestarts.DEFAULT_ALPHA,
): Scheduled = CosineDecayRestarts(initialLearningRate, firstDecaySteps, tMul, mMul, alpha).scheduled

// ---------------------------------------------------------------------------------------------
// Optax, optax.schedules, with Optax's names; `exponential_decay` is optaxExponentialDecay, since
// Keras's ExponentialDecay has the name.
// ---------------------------------------------------------------------------------------------

/**
 * Optax's `exponential_decay`: [initValue] until [transitionBegin], then times
 * `decayRate^((t - transitionBegin) / transitionSteps)` (floored when [staircase]), bounded by [endValue].
 */
public fun optaxExponentialDecay(
    initValue: Double,
    transitionSteps: Long,
    decayRate: Double,
    transitionBegin: Long = ExponentialDecay.DEFAULT_TRANSITION_BEGIN,
    staircase: Boolean = ExponentialDecay.DEFAULT_STAIRCASE,
    endValue: Double? = null,
): Scheduled = ExponentialDecay.optax(
    initValue, transitionSteps, decayRate, transitionBegin, staircase, optional(endValue),
).scheduled

/**
 * Optax's `polynomial_schedule`: [initValue] until [transitionBegin], then
 * `(initValue - endValue) * (1 - (t - transitionBegin) / transitionSteps)^power + endValue`, then [endValue].
 */
public fun polynomialSchedule(
    initValue: Double,
    endValue: Double,
    power: Double,
    transitionSteps: Long,
    transitionBegin: Long = ExponentialDecay.DEFAULT_TRANSITION_BEGIN,
): Scheduled = PolynomialDecay.optax(initValue, endValue, power, transitionSteps, transitionBegin).scheduled

/** Optax's `linear_schedule`: `polynomialSchedule` at power 1. */
public fun linearSchedule(
    initValue: Double,
    endValue: Double,
    transitionSteps: Long,
    transitionBegin: Long = ExponentialDecay.DEFAULT_TRANSITION_BEGIN,
): Scheduled = PolynomialDecay.linear(initValue, endValue, transitionSteps, transitionBegin).scheduled

/** Optax's `warmup_constant_schedule`: linear from [initValue] to [peakValue] over [warmupSteps], then [peakValue]. */
public fun warmupConstantSchedule(initValue: Double, peakValue: Double, warmupSteps: Long): Scheduled =
    PolynomialDecay.warmupConstant(initValue, peakValue, warmupSteps).scheduled

/**
 * Optax's `warmup_exponential_decay_schedule`: linear from [initValue] to [peakValue] over
 * [warmupSteps], then `optaxExponentialDecay` from [peakValue], counting from the end of the warmup.
 */
public fun warmupExponentialDecaySchedule(
    initValue: Double,
    peakValue: Double,
    warmupSteps: Long,
    transitionSteps: Long,
    decayRate: Double,
    transitionBegin: Long = ExponentialDecay.DEFAULT_TRANSITION_BEGIN,
    staircase: Boolean = ExponentialDecay.DEFAULT_STAIRCASE,
    endValue: Double? = null,
): Scheduled = ExponentialDecay.warmupOptax(
    initValue, peakValue, warmupSteps, transitionSteps, decayRate, transitionBegin, staircase, optional(endValue),
).scheduled

/**
 * Optax's `cosine_decay_schedule`:
 * `initValue * ((1 - alpha) * (0.5 * (1 + cos(pi * t / decaySteps)))^exponent + alpha)`.
 */
public fun cosineDecaySchedule(
    initValue: Double,
    decaySteps: Long,
    alpha: Double = CosineDecay.DEFAULT_ALPHA,
    exponent: Double = CosineDecay.DEFAULT_EXPONENT,
): Scheduled = CosineDecay.optax(initValue, decaySteps, alpha, exponent).scheduled

/**
 * Optax's `warmup_cosine_decay_schedule`: linear from [initValue] to [peakValue] over [warmupSteps],
 * then cosine to [endValue]; [decaySteps] counts the warmup.
 */
public fun warmupCosineDecaySchedule(
    initValue: Double,
    peakValue: Double,
    warmupSteps: Long,
    decaySteps: Long,
    endValue: Double = WarmupCosineDecay.DEFAULT_END_VALUE,
    exponent: Double = WarmupCosineDecay.DEFAULT_EXPONENT,
): Scheduled = WarmupCosineDecay(initValue, peakValue, warmupSteps, decaySteps, endValue, exponent).scheduled

/**
 * Optax's `piecewise_constant_schedule`: [initValue] times every scale whose boundary the count
 * has reached, `piecewiseConstantSchedule(1.0, mapOf(100L to 0.1, 200L to 0.1))`.
 */
public fun piecewiseConstantSchedule(
    initValue: Double,
    boundariesAndScales: Map<Long, Double> = emptyMap(),
): Scheduled = PiecewiseConstantDecay.optax(initValue, boundariesAndScales).scheduled

/**
 * Optax's `piecewise_interpolate_schedule`: [initValue] scaled at each boundary, reached by linear or
 * cosine interpolation.
 */
public fun piecewiseInterpolateSchedule(
    interpolateType: PiecewiseInterpolate.Interpolation,
    initValue: Double,
    boundariesAndScales: Map<Long, Double> = emptyMap(),
): Scheduled = PiecewiseInterpolate.of(interpolateType, initValue, boundariesAndScales).scheduled

/**
 * Optax's `linear_onecycle_schedule`: linear from `peakValue / divFactor` up to [peakValue] at
 * `pctStart * transitionSteps`, back at `pctFinal * transitionSteps`, then to `1 / finalDivFactor` of that.
 */
public fun linearOnecycleSchedule(
    transitionSteps: Long,
    peakValue: Double,
    pctStart: Double = OneCycle.DEFAULT_PCT_START,
    pctFinal: Double = OneCycle.Linear.DEFAULT_PCT_FINAL,
    divFactor: Double = OneCycle.DEFAULT_DIV_FACTOR,
    finalDivFactor: Double = OneCycle.DEFAULT_FINAL_DIV_FACTOR,
): Scheduled = OneCycle.Linear(transitionSteps, peakValue, pctStart, pctFinal, divFactor, finalDivFactor).scheduled

/**
 * Optax's `cosine_onecycle_schedule`: half-cosine from `peakValue / divFactor` up to [peakValue] at
 * `pctStart * transitionSteps`, then down to `peakValue / divFactor / finalDivFactor`.
 */
public fun cosineOnecycleSchedule(
    transitionSteps: Long,
    peakValue: Double,
    pctStart: Double = OneCycle.DEFAULT_PCT_START,
    divFactor: Double = OneCycle.DEFAULT_DIV_FACTOR,
    finalDivFactor: Double = OneCycle.DEFAULT_FINAL_DIV_FACTOR,
): Scheduled = OneCycle.Cosine(transitionSteps, peakValue, pctStart, divFactor, finalDivFactor).scheduled

/**
 * Optax's `sgdr_schedule`: [cycles] of [warmupCosineDecaySchedule] one after another, each lasting
 * its `decaySteps`.
 */
public fun sgdrSchedule(vararg cycles: Scheduled): Scheduled = Sgdr(
    cycles.mapIndexed { i, s ->
        s.schedule as? WarmupCosineDecay ?: throw InvalidConfigException(
            "schedule.sgdr.cycles[$i]", "must be a warmupCosineDecaySchedule, got ${s.schedule}",
        )
    },
).scheduled

// ---------------------------------------------------------------------------------------------
// Precomputed values, warmup in front of any schedule, plateau control.
// ---------------------------------------------------------------------------------------------

/** A schedule read from values computed in advance, one per step, step 1 first (as MindSpore takes a list of rates). */
public fun precomputed(values: List<Number>): Scheduled = Precomputed.of(values).scheduled

/** A schedule read from values computed in advance, one per step, step 1 first. */
public fun precomputed(vararg values: Double): Scheduled = Precomputed(values).scheduled

/**
 * Linear warmup from [start] for [steps] steps into [after] (a schedule or a constant), which then
 * counts from its own start: the engine's `Warmup`, Optax's convention (Goyal et al., 2017).
 */
public fun linearWarmup(steps: Long, start: Double = Warmup.DEFAULT_START, after: Number): Scheduled =
    Warmup(steps, start, after.toSchedule()).scheduled

/**
 * PyTorch's `ReduceLROnPlateau` (also Keras's callback, Optax's `reduce_on_plateau`) over [over], a
 * schedule or a constant: the value is multiplied by [factor] when the metric has not improved
 * for more than [patience] evaluations, then [cooldown] evaluations pass; reductions stop at
 * [minLr]. Feed it metrics through [Scheduled.plateau].
 */
public fun plateau(
    over: Number,
    mode: Plateau.Mode = Plateau.DEFAULT_MODE,
    factor: Double = Plateau.DEFAULT_FACTOR,
    patience: Int = Plateau.DEFAULT_PATIENCE,
    threshold: Double = Plateau.DEFAULT_THRESHOLD,
    thresholdMode: Plateau.ThresholdMode = Plateau.DEFAULT_THRESHOLD_MODE,
    cooldown: Int = Plateau.DEFAULT_COOLDOWN,
    minLr: Double = Plateau.DEFAULT_MIN_VALUE,
    eps: Double = Plateau.DEFAULT_EPS,
): Scheduled =
    Plateau(over.toSchedule(), mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps).scheduled

/** The plateau controller of a [plateau] value, to feed metrics to (`observe`) and checkpoint (`state`, `load`). */
public val Scheduled.plateau: Plateau
    get() = schedule as? Plateau ?: throw IllegalStateException("$schedule is not a plateau")

private fun optional(value: Double?): OptionalDouble =
    if (value == null) OptionalDouble.empty() else OptionalDouble.of(value)
