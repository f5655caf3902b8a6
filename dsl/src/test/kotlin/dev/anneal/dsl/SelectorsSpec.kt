package dev.anneal.dsl

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe

class SelectorsSpec : FunSpec({
    test("infix selectors build the same values as the Java combinators") {
        (bias or norm) shouldBe Selector.bias().or(Selector.norm())
        (glob("*conv*") and !bias) shouldBe Selector.glob("*conv*").and(Selector.bias().not())
        named("conv") shouldBe Selector.nameContains("conv")
    }

    test("bias or norm selects exactly biases and normalization parameters") {
        NDManager.newBaseManager().use { m ->
            val names = listOf("conv_weight", "conv_bias", "bn_gamma", "bn_beta", "fc_weight", "fc_bias")
            val arrays = names.associateWith { m.zeros(Shape(2)).also { a -> a.setRequiresGradient(true) } }
            val params = ParameterSet.of(LinkedHashMap(arrays))
            params.select((bias or norm)::matches).map { it.name() } shouldBe
                listOf("conv_bias", "bn_gamma", "bn_beta", "fc_bias")
            params.select((!(bias or norm) and named("CONV"))::matches).map { it.name() } shouldBe
                listOf("conv_weight")
        }
    }

    test("parametersOf(block) picks a part of the model by identity: the same parameters after a layer is added before it") {
        NDManager.newBaseManager().use { m ->
            fun linear(units: Long) = ai.djl.nn.core.Linear.builder().setUnits(units).build()
            val backbone = ai.djl.nn.SequentialBlock().add(linear(8)).add(linear(6))
            val head = linear(3)
            val model = ai.djl.nn.SequentialBlock().add(backbone).add(head)
            model.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32, Shape(2, 4))
            fun picked(block: ai.djl.nn.Block) = ParameterSet.of(block).select(parametersOf(backbone)::matches).map { it.name() }
            picked(model) shouldBe listOf("01SequentialBlock_01Linear_weight", "01SequentialBlock_01Linear_bias",
                "01SequentialBlock_02Linear_weight", "01SequentialBlock_02Linear_bias")
            // A layer in front renumbers every name; the selection follows the block.
            val grown = ai.djl.nn.SequentialBlock().add(linear(4)).add(backbone).add(head)
            grown.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32, Shape(2, 4))
            picked(grown) shouldBe listOf("02SequentialBlock_01Linear_weight", "02SequentialBlock_01Linear_bias",
                "02SequentialBlock_02Linear_weight", "02SequentialBlock_02Linear_bias")
            ParameterSet.of(grown).select(parametersOf(head)::matches).map { it.name() } shouldBe listOf("03Linear_weight", "03Linear_bias")
        }
    }
})
