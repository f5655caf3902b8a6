package dev.anneal.internal

import ai.djl.engine.Engine
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import dev.anneal.support.collectGarbage
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe

/**
 * A number inside an autograd graph: the graph may keep it until backward, long after the Java
 * handle is closed, so [FusedOps.constant] puts it in memory libtorch owns. DJL's own
 * `mul(Number)` does not: after a garbage collection its saved operand is freed memory.
 */
class GraphConstantSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    withData(nameFn = { "$it: a saved constant keeps its value after its handle is closed and the garbage is collected" },
        listOf(DataType.FLOAT32, DataType.FLOAT64)) { type ->
        val x = manager.create(doubleArrayOf(1.0, -2.0, 3.0)).toType(type, false).also { it.setRequiresGradient(true) }
        Engine.getInstance().newGradientCollector().use { collector ->
            val factor = FusedOps.constant(x, FusedOps.scalar(x, 0.75))
            val y = x.mul(factor).sum()
            factor.close()
            collectGarbage()
            collector.backward(y)
        }
        x.gradient.toType(DataType.FLOAT64, false).toDoubleArray().toList() shouldBe listOf(0.75, 0.75, 0.75)
    }
})
