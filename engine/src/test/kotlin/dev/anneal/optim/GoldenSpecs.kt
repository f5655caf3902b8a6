package dev.anneal.optim

import dev.anneal.grad.ClipGradNorm
import dev.anneal.grad.ClipGradValue
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.support.GoldenCase

/**
 * Builds the Anneal spec that a golden case describes: its optimizer's chain (by name, among every
 * engine optimizer), its defaults, and one group per PyTorch param group. Fixture options carry
 * the engine's hyperparameter names, so no optimizer is listed here.
 */
object GoldenSpecs {
    fun chain(name: String): Chain = Optimizers.chains().firstOrNull { it.name() == name }
        ?: error("no optimizer $name among ${Optimizers.chains().map { it.name() }}")

    /** The case's optimizer, with its clipping stage in front when it has one. */
    fun chain(case: GoldenCase): Chain {
        val base = chain(case.optimizer)
        val clip = case.clip ?: return base
        val clipped = base.toBuilder(base.typeName() + "Clipped", "${base.typeName()} after clipping, as in the reference")
        val value = clip["clipValue"] as Double?
        if (value != null) {
            return clipped.prepend(ClipGradValue.STAGE).value(ClipGradValue.CLIP_VALUE, value).build()
        }
        val norm = if (clip["normType"] == "inf") ClipGradNorm.INF else ClipGradNorm.L2
        return clipped.prepend(if (clip["perGroup"] == true) norm.perGroup() else norm)
            .value(ClipGradNorm.MAX_NORM, clip["maxNorm"] as Double)
            .flag(ClipGradNorm.ERROR_IF_NONFINITE, false)
            .build()
    }

    fun of(case: GoldenCase): OptimizerSpec<*> {
        val builder = chain(case).options()
        case.defaults.forEach { (k, v) -> builder.set(k, v) }
        case.groups.forEachIndexed { i, (names, options) ->
            builder.group("g$i", names.map { Selector.name(it) }.reduce(Selector::or)) { g ->
                (options + case.scheduled[i].orEmpty()).forEach { (k, v) -> g.set(k, v) }
            }
        }
        return builder.build()
    }

    /** Compiles the case's spec over [arrays] and returns one training step: step, then zeroGrad. */
    fun stepper(case: GoldenCase, execution: Execution): (Map<String, ai.djl.ndarray.NDArray>) -> (() -> Unit) = { arrays ->
        val optimizer = of(case).compile(ParameterSet.of(arrays), execution)
        val step: () -> Unit = {
            optimizer.step()
            optimizer.zeroGrad()
        }
        step
    }
}
