package dev.anneal.optim

import dev.anneal.grad.ClipGradNorm
import dev.anneal.grad.LossScale
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Schedule
import dev.anneal.param.Selector
import dev.anneal.support.GoldenCase

/**
 * Builds the Anneal spec that a golden case describes: its optimizer's chain (by name, among every
 * engine optimizer), its defaults, its clipping and loss scaling, and one group per PyTorch param group. Fixture options carry
 * the engine's hyperparameter names, so no optimizer is listed here.
 */
object GoldenSpecs {
    fun chain(name: String): Chain = Optimizers.chains().firstOrNull { it.name() == name }
        ?: error("no optimizer $name among ${Optimizers.chains().map { it.name() }}")

    fun of(case: GoldenCase): OptimizerSpec<*> {
        val builder = chain(case.optimizer).options()
        case.defaults.forEach { (k, v) -> builder.set(k, v) }
        case.clip?.let { clip ->
            val value = clip["clipValue"] as Double?
            if (value != null) {
                builder.clipGradValue(value)
            } else {
                val norm = if (clip["normType"] == "inf") ClipGradNorm.INF else ClipGradNorm.L2
                builder.clipGradNorm(if (clip["perGroup"] == true) norm.perGroup() else norm,
                    Schedule.constant(clip["maxNorm"] as Double), false)
            }
        }
        case.scaler?.let { o ->
            builder.lossScale(LossScale.dynamic(
                o["initScale"] ?: LossScale.DEFAULT_INIT_SCALE,
                o["growthFactor"] ?: LossScale.DEFAULT_GROWTH_FACTOR,
                o["backoffFactor"] ?: LossScale.DEFAULT_BACKOFF_FACTOR,
                o["growthInterval"]?.toLong() ?: LossScale.DEFAULT_GROWTH_INTERVAL,
            ))
        }
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
