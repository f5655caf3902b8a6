// A pipeline as a Kotlin script: ./anneal run samples/scripts/fashion-mlp.main.kts [--epochs N]
// An MLP on Fashion-MNIST with AdamW, a warmup then a cosine, no weight decay on biases, and a
// first layer that learns at a tenth of the rate. The launcher puts Anneal on the class path;
// elsewhere, after `mvn install`, add @file:DependsOn("dev.anneal:anneal-dsl:0.1.0-SNAPSHOT").

import ai.djl.Model
import ai.djl.engine.Engine
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.Activation
import ai.djl.nn.Blocks
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import dev.anneal.data.FashionMnist
import dev.anneal.dsl.*
import dev.anneal.train.loss.Losses

val passes = args.indexOf("--epochs").let { if (it >= 0) args[it + 1].toInt() else 2 }
val batch = 64
Engine.getInstance().setRandomSeed(7)

Model.newInstance("mlp").use { model ->
    NDManager.newBaseManager().use { data ->
        model.block = SequentialBlock()
            .add(Blocks.batchFlattenBlock())
            .add(Linear.builder().setUnits(128).build()).add(Activation.reluBlock())
            .add(Linear.builder().setUnits(10).build())
        model.block.initialize(model.ndManager, DataType.FLOAT32, Shape(batch.toLong(), 1, 28, 28))
        val dir = FashionMnist.defaultDir()
        val train = FashionMnist.loadShuffled(dir, FashionMnist.Split.TRAIN, data, batch, 7L)
        val test = FashionMnist.load(dir, FashionMnist.Split.TEST, data, batch)

        val run = pipeline {
            this.model = model.block
            this.data = train
            validation = test
            loss = Losses.softmaxCrossEntropy()
            optimizer {
                adamW(lr = schedule { warmup(steps = 50) then cosine(epochs = passes.toLong(), peak = 2e-3) }, weightDecay = 0.05)
                group(bias) { weightDecay = 0.0 }
                group(named("02Linear_weight")) { lr = 2e-4 }
            }
            epochs = passes
            prefetch = 0
            metrics { accuracy(); loss() }
            callbacks {
                progressBar()
                on<dev.anneal.train.TrainingEvent.EpochEnd> { println("epoch ${it.epoch() + 1}/$passes: test accuracy ${"%.4f".format(it.validationAccuracy())}") }
            }
        }
        val result = run.use { it.run() }
        println("test accuracy: %.4f".format(result.validationAccuracy))
    }
}
