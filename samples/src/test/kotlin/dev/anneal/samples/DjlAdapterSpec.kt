package dev.anneal.samples

import ai.djl.Device
import ai.djl.Model
import ai.djl.engine.Engine
import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.training.DefaultTrainingConfig
import ai.djl.training.EasyTrain
import ai.djl.training.ParameterStore
import ai.djl.training.loss.Loss
import dev.anneal.data.IdxDataset
import dev.anneal.model.LeNet5
import dev.anneal.optim.DjlOptimizer
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.train.BasicLoop
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import java.nio.file.Path

class DjlAdapterSpec : FunSpec({
    val data = Path.of("data", "fashion-mnist")
    val steps = 50
    val spec = Optimizers.adam().lr(1e-3).weightDecay(1e-2)
        .group("conv") { it.lr(3e-3) }
        .noWeightDecayOn(Selector.bias())
        .build()

    test("EasyTrain.fit with the adapter leaves LeNet exactly where Anneal's own loop does after $steps steps") {
        Engine.getInstance().setRandomSeed(3)
        Model.newInstance("lenet").use { model ->
            NDManager.newBaseManager().use { manager ->
                model.block = LeNet5.create()
                val block = model.block
                val dataset = IdxDataset.builder()
                    .images(data.resolve("train-images-idx3-ubyte.gz"))
                    .labels(data.resolve("train-labels-idx1-ubyte.gz"))
                    .manager(manager)
                    .optLimit(32L * steps)
                    .setSampling(32, false)
                    .build()

                // 1. DJL's usual order: optimizer in the config, trainer, initialize, EasyTrain.
                lateinit var initial: Map<String, FloatArray>
                DjlOptimizer.of(spec, block).use { adapter ->
                    val config = DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(adapter)
                        .optDevices(arrayOf(Device.cpu()))
                    model.newTrainer(config).use { trainer ->
                        trainer.initialize(LeNet5.inputShape(32))
                        initial = snapshot(block.parameters.map { it.key to it.value.array })
                        EasyTrain.fit(trainer, 1, dataset, null)
                    }
                    adapter.optimizer().stepCount() shouldBe steps.toLong()
                }
                val throughDjl = snapshot(block.parameters.map { it.key to it.value.array })

                // 2. The same spec in Anneal's own loop from the same start.
                restore(block.parameters.map { it.key to it.value.array }, initial)
                val store = ParameterStore(model.ndManager, false)
                spec.compile(ParameterSet.of(block)).use { optimizer ->
                    for (batch in dataset.getData(manager)) {
                        batch.use { BasicLoop.trainBatch(block, store, Loss.softmaxCrossEntropyLoss(), it, optimizer) }
                    }
                    optimizer.stepCount() shouldBe steps.toLong()
                }
                val throughAnneal = snapshot(block.parameters.map { it.key to it.value.array })

                throughDjl.keys shouldBe throughAnneal.keys
                for ((name, values) in throughDjl) {
                    values.toList() shouldBe throughAnneal.getValue(name).toList()
                    values.toList() shouldNotBe initial.getValue(name).toList()
                }
            }
        }
    }
})

private fun snapshot(arrays: List<Pair<String, NDArray>>): Map<String, FloatArray> =
    arrays.associate { (name, array) -> name to array.toFloatArray() }

private fun restore(arrays: List<Pair<String, NDArray>>, values: Map<String, FloatArray>) {
    for ((name, array) in arrays) {
        array.set(values.getValue(name))
    }
}
