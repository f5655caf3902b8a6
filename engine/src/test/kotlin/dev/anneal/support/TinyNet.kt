package dev.anneal.support

import ai.djl.engine.Engine
import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.Activation
import ai.djl.nn.Blocks
import ai.djl.nn.Parameter
import ai.djl.nn.SequentialBlock
import ai.djl.nn.convolutional.Conv2d
import ai.djl.nn.core.Linear
import ai.djl.nn.norm.BatchNorm
import ai.djl.nn.norm.LayerNorm
import dev.anneal.internal.FusedOps
import dev.anneal.param.ParameterSet

/**
 * A small convolutional net with every kind of parameter DJL names: a convolution with bias,
 * batch norm (with running statistics), a 1x1 convolution without bias, a linear layer with bias,
 * layer norm and a linear layer without bias. Its parameters, in `block.getParameters()` order:
 *
 * ```
 * 01Conv2d_weight (4, 3, 3, 3)   01Conv2d_bias (4)
 * 02BatchNorm_gamma (4)  02BatchNorm_beta (4)  02BatchNorm_runningMean (4)  02BatchNorm_runningVar (4)
 * 04Conv2d_weight (4, 4, 1, 1)
 * 06Linear_weight (8, 64)  06Linear_bias (8)
 * 07LayerNorm_gamma (8)  07LayerNorm_beta (8)
 * 08Linear_weight (2, 8)
 * ```
 *
 * Values are overwritten with deterministic non-zero numbers (DJL initialises biases and beta to
 * zero and gamma to one, which would hide a missed update).
 */
class TinyNet(val manager: NDManager, seed: Long = 11) {
    val block: SequentialBlock = SequentialBlock()
        .add(Conv2d.builder().setKernelShape(Shape(3, 3)).setFilters(4).build())
        .add(BatchNorm.builder().build())
        .add(Activation.reluBlock())
        .add(Conv2d.builder().setKernelShape(Shape(1, 1)).setFilters(4).optBias(false).build())
        .add(Blocks.batchFlattenBlock())
        .add(Linear.builder().setUnits(8).build())
        .add(LayerNorm.builder().build())
        .add(Linear.builder().setUnits(2).optBias(false).build())

    init {
        block.initialize(manager, DataType.FLOAT32, Shape(2, 3, 6, 6))
        block.parameters.values().forEachIndexed { i, p ->
            val a = p.array
            val values = GradientGenerator.values(seed, 0, i, a.shape.size().toInt(), 1.0)
            check(values.none { it == 0f }) { "zero initial value in ${p.name}" }
            manager.create(values, a.shape).copyTo(a)
        }
    }

    fun parameterSet(): ParameterSet = ParameterSet.of(block)

    fun parameter(name: String): Parameter = block.parameters.get(name)

    fun array(name: String): NDArray = parameter(name).array

    /** Current values of every parameter, by name, copied out. */
    fun values(): Map<String, FloatArray> = block.parameters.associate { it.key to it.value.array.toFloatArray() }

    companion object {
        const val CONV1_W = "01Conv2d_weight"
        const val CONV1_B = "01Conv2d_bias"
        const val BN_GAMMA = "02BatchNorm_gamma"
        const val BN_BETA = "02BatchNorm_beta"
        const val BN_MEAN = "02BatchNorm_runningMean"
        const val BN_VAR = "02BatchNorm_runningVar"
        const val CONV2_W = "04Conv2d_weight"
        const val FC1_W = "06Linear_weight"
        const val FC1_B = "06Linear_bias"
        const val LN_GAMMA = "07LayerNorm_gamma"
        const val LN_BETA = "07LayerNorm_beta"
        const val FC2_W = "08Linear_weight"

        val ALL = listOf(CONV1_W, CONV1_B, BN_GAMMA, BN_BETA, BN_MEAN, BN_VAR, CONV2_W, FC1_W, FC1_B, LN_GAMMA, LN_BETA, FC2_W)
        val TRAINABLE = ALL - listOf(BN_MEAN, BN_VAR)
    }
}

/**
 * Gradient [values] delivered to each array through autograd (the gradient of sum(w * g) is g),
 * on top of whatever gradient it already holds.
 */
fun backward(manager: NDManager, gradients: Map<NDArray, FloatArray>) {
    Engine.getInstance().newGradientCollector().use { collector ->
        val terms = gradients.map { (w, g) -> w.mul(manager.create(g, w.shape)).sum() }
        collector.backward(terms.reduce { a, b -> a.add(b) })
    }
}

/** Deterministic gradient values bounded away from zero: magnitude in [0.25, 1), either sign. */
fun awayFromZero(seed: Long, step: Long, param: Int, size: Int): FloatArray =
    GradientGenerator.values(seed, step, param, size, 1.0).map { u ->
        (if (u < 0) -1f else 1f) * (0.25f + 0.75f * kotlin.math.abs(u))
    }.toFloatArray()

/** Bit-for-bit equality of float arrays (NaN-safe, -0.0 distinct from 0.0). */
fun FloatArray.bits(): List<Int> = map { it.toRawBits() }

/** A backward pass that gives every trainable parameter of [set] a zero gradient, so that a step after it moves weights by decay alone. */
fun zeroBackward(set: ParameterSet) = Engine.getInstance().newGradientCollector().use { collector ->
    collector.backward(set.trainable().map { it.array().mul(FusedOps.constant(it.array(), 0f)).sum() }.reduce { a, b -> a.add(b) })
}

/** [metric] over [data] in inference mode, batch by batch as the loop's validation measures it. */
fun evaluate(block: ai.djl.nn.Block, data: ai.djl.training.dataset.Dataset, manager: NDManager, metric: dev.anneal.train.metric.Metric): Double {
    metric.reset()
    for (batch in data.getData(manager)) {
        batch.use {
            metric.update(block.forward(ai.djl.training.ParameterStore(manager, false), it.data, false).singletonOrThrow(),
                it.labels.singletonOrThrow())
        }
    }
    return metric.value()
}
