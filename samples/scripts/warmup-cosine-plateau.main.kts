// Warmup then cosine, scaled down by plateau control whenever the validation loss stops improving:
// ./anneal run samples/scripts/warmup-cosine-plateau.main.kts [--epochs N]
// PyTorch needs two schedulers for this and cannot chain ReduceLROnPlateau; here it is one value.

import ai.djl.Model
import ai.djl.engine.Engine
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import dev.anneal.data.FashionMnist
import dev.anneal.dsl.*
import dev.anneal.model.LeNet5
import dev.anneal.train.History
import dev.anneal.train.TrainingEvent
import dev.anneal.train.loss.Losses

val passes = args.indexOf("--epochs").let { if (it >= 0) args[it + 1].toInt() else 6 }
val batch = 32
Engine.getInstance().setRandomSeed(11)

Model.newInstance("lenet").use { model ->
    NDManager.newBaseManager().use { data ->
        model.block = LeNet5.create()
        model.block.initialize(model.ndManager, DataType.FLOAT32, LeNet5.inputShape(batch))
        val dir = FashionMnist.defaultDir()
        val train = FashionMnist.loadShuffled(dir, FashionMnist.Split.TRAIN, data, batch, 11L)
        val test = FashionMnist.load(dir, FashionMnist.Split.TEST, data, batch)

        // Halve the rate at every epoch whose validation loss is no better than the best so far.
        val lr = plateau(schedule { warmup(steps = 100) then cosine(epochs = passes, peak = 0.05) },
            factor = 0.5, patience = 0)
        val run = pipeline {
            model(model.block)
            data(train)
            validation = test
            loss = Losses.softmaxCrossEntropy()
            optimizer { momentum(lr = lr, momentum = 0.9) }
            epochs = passes
            prefetch = 0
            metrics { accuracy(); loss() }
            callbacks {
                plateau(lr.plateau, monitor = "val_loss")
                progressBar()
                // After the plateau has seen the epoch: callbacks are told in the order written.
                on<TrainingEvent.Logged> { logged ->
                    val row = logged.row()
                    if (row.kind() == History.Kind.EPOCH) {
                        println("epoch ${row.epoch() + 1}/$passes: val_loss ${row.get("val_loss")}, plateau scale ${lr.plateau.scale()}")
                    }
                }
            }
        }
        val result = run.use { it.run() }
        println("test accuracy: %.4f".format(result.validationAccuracy))
    }
}
