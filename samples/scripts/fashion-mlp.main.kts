// A pipeline as a Kotlin script: ./anneal run samples/scripts/fashion-mlp.main.kts [--epochs N]
// An MLP on Fashion-MNIST with AdamW, a warmup then a cosine, no weight decay on biases, and a
// first layer that learns at a tenth of the rate. The launcher puts Anneal on the class path;
// elsewhere, after `mvn install`, add @file:DependsOn("dev.anneal:anneal-dsl:0.1.0-SNAPSHOT").

import ai.djl.ndarray.NDManager
import ai.djl.nn.Activation
import ai.djl.nn.Blocks
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import dev.anneal.data.FashionMnist
import dev.anneal.dsl.*
import dev.anneal.train.TrainingEvent
import dev.anneal.train.loss.Losses

val passes = args.indexOf("--epochs").let { if (it >= 0) args[it + 1].toInt() else 2 }
val batch = 64

NDManager.newBaseManager().use { data ->
    val dir = FashionMnist.defaultDir()
    val run = pipeline {
        model = SequentialBlock()
            .add(Blocks.batchFlattenBlock())
            .add(Linear.builder().setUnits(128).build()).add(Activation.reluBlock())
            .add(Linear.builder().setUnits(10).build())
        seed = 7 // initialized by the pipeline, for the first batch's shape, the same each run
        data(FashionMnist.loadShuffled(dir, FashionMnist.Split.TRAIN, data, batch, 7L))
        validation = FashionMnist.load(dir, FashionMnist.Split.TEST, data, batch)
        loss = Losses.softmaxCrossEntropy()
        val base = schedule { warmup(steps = 50) then cosine(epochs = passes, peak = 2e-3) }
        optimizer {
            adamW(lr = base, weightDecay = 0.05)
            group(bias) { weightDecay = 0.0 }
            group(named("02Linear_weight")) { lr = base * 0.1 }
        }
        epochs = passes
        prefetch = 0
        metrics { accuracy(); loss() }
        callbacks {
            progressBar()
            on<TrainingEvent.EpochEnd> { println("epoch ${it.epoch() + 1}/$passes: test accuracy ${"%.4f".format(it.validationAccuracy())}") }
        }
    }
    run.use {
        print(it.summary())
        val result = it.run()
        println("test accuracy: %.4f".format(result.validationAccuracy))
    }
}
