package dev.anneal.dsl

import dev.anneal.config.InvalidConfigException
import dev.anneal.optim.Adam
import dev.anneal.optim.Momentum
import dev.anneal.optim.OptimizerBuilder
import dev.anneal.optim.OptimizerSpec
import dev.anneal.optim.Optimizers
import dev.anneal.optim.Sgd
import dev.anneal.param.Selector

/**
 * An optimizer with its groups, as the engine's [OptimizerSpec]:
 * ```
 * optimizer {
 *     adam(lr = schedule { warmup(steps = 500) then cosine(epochs = 10, peak = 1e-3) }, beta1 = 0.9)
 *     group("conv") { weightDecay = 0.01 }
 *     group(bias or norm) { weightDecay = 0.0 }
 * }
 * ```
 * The block names exactly one optimizer ([sgd], [momentum], [adam], [adamW]); that choice fixes
 * what a `group { }` offers, so a hyperparameter the optimizer lacks does not compile. Problems
 * of values are reported together by the engine's checks as an `InvalidConfigException`.
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
    private var builder: OptimizerBuilder<*, *, *>? = null
    private var addGroup: ((String, Selector, G.() -> Unit) -> Unit)? = null

    internal fun <J> choose(name: String, builder: OptimizerBuilder<*, J, *>, wrap: (J) -> G) {
        this.name?.let {
            throw InvalidConfigException("optimizer", "names one optimizer, got $it and then $name")
        }
        this.name = name
        this.builder = builder
        addGroup = { groupName, selector, settings -> builder.group(groupName, selector) { wrap(it).settings() } }
    }

    private fun chosen(what: String): OptimizerBuilder<*, *, *> = builder
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

    internal fun build(): OptimizerSpec<*> = chosen("the end of optimizer { }").build()
}

/**
 * SGD as `torch.optim.SGD` computes it, with PyTorch's defaults ([Sgd]); momentum with
 * dampening, Nesterov and maximize.
 */
public fun OptimizerScope<SgdGroup>.sgd(
    lr: Number = 1e-3,
    momentum: Number = 0.0,
    dampening: Number = 0.0,
    weightDecay: Number = 0.0,
    nesterov: Boolean = false,
    maximize: Boolean = false,
) {
    val builder = Optimizers.sgd().lr(lr.toSchedule()).momentum(momentum.toSchedule())
        .dampening(dampening.toSchedule()).weightDecay(weightDecay.toSchedule()).nesterov(nesterov).maximize(maximize)
    choose("sgd", builder, ::SgdGroup)
}

/**
 * MindSpore's `nn.Momentum` ([Momentum]): no defaults for [lr] and [momentum], as there;
 * [lossScale] is the static scale the gradients carry.
 */
public fun OptimizerScope<MomentumGroup>.momentum(
    lr: Number,
    momentum: Number,
    weightDecay: Number = 0.0,
    nesterov: Boolean = false,
    lossScale: Double = 1.0,
) {
    val builder = Optimizers.momentum().lr(lr.toSchedule()).momentum(momentum.toSchedule())
        .weightDecay(weightDecay.toSchedule()).nesterov(nesterov).lossScale(lossScale)
    choose("momentum", builder, ::MomentumGroup)
}

/** Adam as `torch.optim.Adam` computes it, with PyTorch's defaults ([Adam]); AMSGrad and maximize. */
public fun OptimizerScope<AdamGroup>.adam(
    lr: Number = 1e-3,
    beta1: Number = 0.9,
    beta2: Number = 0.999,
    eps: Number = 1e-8,
    weightDecay: Number = 0.0,
    amsgrad: Boolean = false,
    maximize: Boolean = false,
) {
    choose("adam", adamBuilder(Optimizers.adam(), lr, beta1, beta2, eps, weightDecay, amsgrad, maximize), ::AdamGroup)
}

/**
 * AdamW as `torch.optim.AdamW` computes it ([dev.anneal.optim.AdamW]): Adam with decoupled
 * weight decay, 0.01 by default; its groups take Adam's hyperparameters.
 */
public fun OptimizerScope<AdamGroup>.adamW(
    lr: Number = 1e-3,
    beta1: Number = 0.9,
    beta2: Number = 0.999,
    eps: Number = 1e-8,
    weightDecay: Number = 0.01,
    amsgrad: Boolean = false,
    maximize: Boolean = false,
) {
    choose("adamW", adamBuilder(Optimizers.adamW(), lr, beta1, beta2, eps, weightDecay, amsgrad, maximize), ::AdamGroup)
}

private fun adamBuilder(
    builder: Adam.Builder, lr: Number, beta1: Number, beta2: Number, eps: Number, weightDecay: Number,
    amsgrad: Boolean, maximize: Boolean,
): Adam.Builder = builder.lr(lr.toSchedule()).beta1(beta1.toSchedule()).beta2(beta2.toSchedule())
    .eps(eps.toSchedule()).weightDecay(weightDecay.toSchedule()).amsgrad(amsgrad).maximize(maximize)

/**
 * A group's values under SGD; what is left unset comes from the optimizer. Each value is a number
 * or a schedule.
 */
@AnnealDsl
public class SgdGroup internal constructor(private val group: Sgd.Group) {
    /** The learning rate. */
    public var lr: Number? = null
        set(value) { field = value; group.lr(value?.toSchedule()) }

    /** The momentum factor; 0 turns momentum off. */
    public var momentum: Number? = null
        set(value) { field = value; group.momentum(value?.toSchedule()) }

    /** The dampening of the momentum buffer. */
    public var dampening: Number? = null
        set(value) { field = value; group.dampening(value?.toSchedule()) }

    /** L2 weight decay, added to the gradient. */
    public var weightDecay: Number? = null
        set(value) { field = value; group.weightDecay(value?.toSchedule()) }

    /** Nesterov momentum. */
    public var nesterov: Boolean? = null
        set(value) { field = value; group.nesterov(value) }

    /** Ascends instead of descending. */
    public var maximize: Boolean? = null
        set(value) { field = value; group.maximize(value) }
}

/** A group's values under MindSpore's Momentum; what is left unset comes from the optimizer. */
@AnnealDsl
public class MomentumGroup internal constructor(private val group: Momentum.Group) {
    /** The learning rate. */
    public var lr: Number? = null
        set(value) { field = value; group.lr(value?.toSchedule()) }

    /** The momentum factor. */
    public var momentum: Number? = null
        set(value) { field = value; group.momentum(value?.toSchedule()) }

    /** Weight decay, added to the gradient. */
    public var weightDecay: Number? = null
        set(value) { field = value; group.weightDecay(value?.toSchedule()) }

    /** MindSpore's `use_nesterov`. */
    public var nesterov: Boolean? = null
        set(value) { field = value; group.nesterov(value) }
}

/** A group's values under Adam or AdamW; what is left unset comes from the optimizer. */
@AnnealDsl
public class AdamGroup internal constructor(private val group: Adam.Group) {
    /** The learning rate. */
    public var lr: Number? = null
        set(value) { field = value; group.lr(value?.toSchedule()) }

    /** The first moment's decay. */
    public var beta1: Number? = null
        set(value) { field = value; group.beta1(value?.toSchedule()) }

    /** The second moment's decay. */
    public var beta2: Number? = null
        set(value) { field = value; group.beta2(value?.toSchedule()) }

    /** Added to the denominator for stability. */
    public var eps: Number? = null
        set(value) { field = value; group.eps(value?.toSchedule()) }

    /** Weight decay: L2 in the gradient under Adam, decoupled under AdamW. */
    public var weightDecay: Number? = null
        set(value) { field = value; group.weightDecay(value?.toSchedule()) }

    /** AMSGrad's running maximum of the second moment. */
    public var amsgrad: Boolean? = null
        set(value) { field = value; group.amsgrad(value) }

    /** Ascends instead of descending. */
    public var maximize: Boolean? = null
        set(value) { field = value; group.maximize(value) }
}
