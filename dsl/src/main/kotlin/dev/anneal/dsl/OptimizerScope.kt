package dev.anneal.dsl

import dev.anneal.config.InvalidConfigException
import dev.anneal.grad.ClipGradNorm
import dev.anneal.grad.Ema
import dev.anneal.grad.LossScale
import dev.anneal.grad.NoGradient
import dev.anneal.grad.NonFinite
import dev.anneal.grad.Swa
import dev.anneal.optim.OptimizerBuilder
import dev.anneal.optim.OptimizerSpec
import dev.anneal.optim.Settings
import dev.anneal.param.Selector
import dev.anneal.schedule.Duration

/**
 * An optimizer with its groups, as the engine's [OptimizerSpec]:
 * ```
 * optimizer {
 *     adam(lr = schedule { warmup(steps = 500) then cosine(epochs = 10, peak = 1e-3) }, beta1 = 0.9)
 *     clipGradNorm(1.0)
 *     group("conv") { weightDecay = 0.01 }
 *     group(bias or norm) { weightDecay = 0.0 }
 * }
 * ```
 * The block names exactly one optimizer ([sgd], [momentum], [adam], [adamW], ...: one function per
 * engine optimizer, generated from its declaration in `Optimizers.kt`); that choice fixes what a
 * `group { }` offers, so a hyperparameter the optimizer lacks does not compile. Problems of values
 * are reported together by the engine's checks as an `InvalidConfigException`.
 */
public fun <G> optimizer(block: OptimizerScope<G>.() -> Unit): OptimizerSpec<*> {
    val scope = OptimizerScope<G>()
    scope.block()
    return scope.build()
}

/** The inside of `optimizer { }`: one optimizer, then its groups and weight-decay exemptions. */
@AnnealDsl
public class OptimizerScope<G> internal constructor() {
    private var name: String? = null
    private var builder: OptimizerBuilder<*, *>? = null
    private var addGroup: ((String, Selector, G.() -> Unit) -> Unit)? = null

    internal fun <J : Settings<J>> choose(name: String, builder: OptimizerBuilder<J, *>, wrap: (J) -> G) {
        this.name?.let {
            throw InvalidConfigException("optimizer", "names one optimizer, got $it and then $name")
        }
        this.name = name
        this.builder = builder
        addGroup = { groupName, selector, settings -> builder.group(groupName, selector) { wrap(it).settings() } }
    }

    private fun chosen(what: String): OptimizerBuilder<*, *> = builder
        ?: throw InvalidConfigException("optimizer", "needs its optimizer (adam(...), sgd(...), ...) before $what")

    /** A group of the parameters whose names contain [name], ignoring case, with its own values. */
    public fun group(name: String, settings: G.() -> Unit): Unit = group(name, Selector.nameContains(name), settings)

    /** A group named [name] of the parameters [selector] picks, with its own values. */
    public fun group(name: String, selector: Selector, settings: G.() -> Unit) {
        chosen("group(\"$name\")")
        addGroup!!(name, selector, settings)
    }

    /** A group of the parameters [selector] picks, named after it: `group(bias or norm) { weightDecay = 0.0 }`. */
    public fun group(selector: Selector, settings: G.() -> Unit): Unit =
        group(selector.toString().removeSurrounding("(", ")"), selector, settings)

    /** No weight decay for the parameters [selector] picks, whatever their group; calls add up. */
    public fun noWeightDecayOn(selector: Selector) {
        chosen("noWeightDecayOn($selector)").noWeightDecayOn(selector)
    }

    /**
     * The order the optimizer takes its parameters in, by name (MindSpore's `order_params`): it
     * updates them and keeps their state and checkpoint entries in this order. Every trainable
     * parameter, once each.
     */
    public fun orderParams(vararg names: String) {
        chosen("orderParams(...)").orderParams(*names)
    }

    /**
     * Clips the gradients of all parameters together to norm [maxNorm] (a number or a schedule)
     * before each update, as `torch.nn.utils.clip_grad_norm_` does: [norm] says which norm and
     * over what ([ClipGradNorm.L2] or [ClipGradNorm.INF]; `.perGroup()` for each group on its
     * own, `.perTensor()` for each tensor as Keras's `clipnorm`); [errorIfNonfinite] refuses a
     * step whose norm is NaN or infinite.
     */
    public fun clipGradNorm(
        maxNorm: Number,
        norm: ClipGradNorm = ClipGradNorm.DEFAULT_NORM,
        errorIfNonfinite: Boolean = ClipGradNorm.DEFAULT_ERROR_IF_NONFINITE,
    ) {
        chosen("clipGradNorm(...)").clipGradNorm(norm, maxNorm.toSchedule(), errorIfNonfinite)
    }

    /** Clips each gradient element into `[-clipValue, clipValue]` before each update (`clip_grad_value_`). */
    public fun clipGradValue(clipValue: Double) {
        chosen("clipGradValue(...)").clipGradValue(clipValue)
    }

    /**
     * Centralizes the gradients of the parameters [on] selects before each update (MindSpore's
     * `grad_centralization`): each row of a gradient with two or more dimensions loses its mean
     * over every dimension but the first; one-dimensional parameters are always left alone.
     */
    public fun centralizeGradients(on: Selector = Selector.oneDimensional().not()) {
        chosen("centralizeGradients(...)").centralizeGradients(on)
    }

    /**
     * Keeps an exponential moving average of the weights beside them, updated right after each
     * update as Keras's `use_ema=True` does: [decay] (a number or a schedule) is how much of the
     * average each update keeps, [every] moves it only every n-th update, [warmup] warms the
     * decay up as timm's `ModelEmaV3(use_warmup=True)`. `Optimizer.swapAverages()` swaps it in and out.
     */
    public fun ema(decay: Number = Ema.DEFAULT_DECAY, every: Long = Ema.DEFAULT_EVERY, warmup: Boolean = Ema.DEFAULT_WARMUP) {
        val average = Ema.EVERY_STEP.every(every).let { if (warmup) it.withWarmup() else it }
        chosen("ema(...)").ema(average, decay.toSchedule())
    }

    /**
     * Keeps the stochastic weight average of the weights beside them, PyTorch's `AveragedModel`:
     * the equal-weight mean of the weights at a tensor's [start]-th update and at every [every]-th
     * one after it, each in steps or epochs: `swa(start = 160.epochs, every = 1.epochs)` averages at
     * the end of epoch 160 and of each epoch after it (a pipeline turns epochs into steps). Pair it
     * with `swaLR(before, steps, swaLr)` for PyTorch's learning rate. `Optimizer.swapAverages()`
     * swaps it in and out; the loop validates it with batch-norm statistics recomputed for it
     * (`update_bn`). An optimizer keeps one average: not both [ema] and [swa].
     */
    public fun swa(start: Length = Swa.DEFAULT_START.length, every: Length = Swa.DEFAULT_EVERY.length) {
        val average = Swa.EVERY_STEP.start(start.checked("start")).every(every.checked("every"))
        chosen("swa(...)").swa(average)
    }

    private fun Length.checked(field: String): Duration {
        val (count, unit) = when (this) {
            is Steps -> count to "step"
            is Epochs -> count.toLong() to "epoch"
        }
        if (count < 1) throw InvalidConfigException("optimizer.swa.$field", "must be at least 1 $unit, got $count")
        return duration
    }

    /**
     * Scales the loss before each backward pass and divides the scale out of the gradients before
     * anything reads them, dropping a step whose gradients overflow: [dynamicLossScale] (PyTorch's
     * `GradScaler`), [mindSporeDynamicLossScale] or [fixedLossScale].
     */
    public fun lossScale(scale: LossScale) {
        chosen("lossScale(...)").lossScale(scale)
    }

    /**
     * What `zeroGrad()` leaves and a step does with a parameter that got no gradient since:
     * [NoGradient.SKIP] (the default, PyTorch 2.x's `set_to_none=True`) leaves it alone,
     * [NoGradient.ZERO] (torch 1.13's) updates it with zeros.
     */
    public fun onNoGradient(policy: NoGradient) {
        chosen("onNoGradient($policy)").onNoGradient(policy)
    }

    /** What a step does with NaN or infinite gradients: [NonFinite.STOP] (the default), [NonFinite.SKIP] or [NonFinite.APPLY]. */
    public fun onNonFinite(policy: NonFinite) {
        chosen("onNonFinite(...)").onNonFinite(policy)
    }

    internal fun build(): OptimizerSpec<*> = chosen("the end of optimizer { }").build()
}

/** PyTorch's `GradScaler(init_scale, growth_factor, backoff_factor, growth_interval)`, for [OptimizerScope.lossScale]. */
public fun dynamicLossScale(
    initScale: Double = LossScale.DEFAULT_INIT_SCALE,
    growthFactor: Double = LossScale.DEFAULT_GROWTH_FACTOR,
    backoffFactor: Double = LossScale.DEFAULT_BACKOFF_FACTOR,
    growthInterval: Long = LossScale.DEFAULT_GROWTH_INTERVAL,
): LossScale = LossScale.dynamic(initScale, growthFactor, backoffFactor, growthInterval)

/** MindSpore's `DynamicLossScaleManager(init_loss_scale, scale_factor, scale_window)`. */
public fun mindSporeDynamicLossScale(
    initScale: Double = LossScale.MINDSPORE_INIT_SCALE,
    scaleFactor: Double = LossScale.MINDSPORE_SCALE_FACTOR,
    scaleWindow: Long = LossScale.MINDSPORE_SCALE_WINDOW,
): LossScale = LossScale.mindSporeDynamic(initScale, scaleFactor, scaleWindow)

/** MindSpore's `FixedLossScaleManager(loss_scale, drop_overflow_update)`: a scale that never changes. */
public fun fixedLossScale(
    scale: Double = LossScale.DEFAULT_FIXED_SCALE,
    dropOverflowUpdate: Boolean = LossScale.DEFAULT_DROP_OVERFLOW_UPDATE,
): LossScale = LossScale.fixed(scale, dropOverflowUpdate)
