package dev.anneal.dsl

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.dataset.ArrayDataset

/**
 * Linear layers of [units] each, initialized for batches of 16 x 4 with deterministic values,
 * and the first [limit] of 640 fixed samples (4 features, 3 classes) in batches of 16, in order.
 */
internal fun fixedRun(manager: NDManager, limit: Long, vararg units: Long): Pair<SequentialBlock, ArrayDataset> {
    val block = SequentialBlock()
    units.forEach { block.add(Linear.builder().setUnits(it).build()) }
    block.initialize(manager, DataType.FLOAT32, Shape(16, 4))
    block.parameters.values().forEachIndexed { i, p ->
        manager.create(FloatArray(p.array.shape.size().toInt()) { j -> ((i + 1) * (j + 1) % 7 - 3) / 10f }, p.array.shape)
            .copyTo(p.array)
    }
    val x = manager.create(FloatArray(640 * 4) { ((it * 37) % 11 - 5) / 5f }, Shape(640, 4))
    val y = manager.create(FloatArray(640) { (it % 3).toFloat() })
    return block to ArrayDataset.Builder().setData(x).optLabels(y).setSampling(16, false).optLimit(limit).build()
}
