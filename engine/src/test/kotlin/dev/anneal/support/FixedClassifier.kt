package dev.anneal.support

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.dataset.ArrayDataset

/**
 * A linear classifier of 4 features into 3 classes, its parameters set from the generator, and
 * 128 fixed samples in batches of 16 (8 an epoch), in order: runs on it can be compared exactly.
 */
fun fixedClassifier(manager: NDManager): Pair<SequentialBlock, ArrayDataset> {
    val block = SequentialBlock().add(Linear.builder().setUnits(3).build())
    block.initialize(manager, DataType.FLOAT32, Shape(16, 4))
    block.parameters.values().forEachIndexed { i, p ->
        manager.create(GradientGenerator.values(5, 0, i, p.array.shape.size().toInt(), 0.5), p.array.shape).copyTo(p.array)
    }
    val x = manager.create(GradientGenerator.values(9, 0, 0, 128 * 4, 1.0), Shape(128, 4))
    val y = manager.create(FloatArray(128) { (it % 3).toFloat() })
    return block to ArrayDataset.Builder().setData(x).optLabels(y).setSampling(16, false).build()
}
