// Transfer learning with differential learning rates:
// ./anneal run samples/scripts/transfer-learning.main.kts [--epochs N]
// 1. a backbone is trained with a 10-class head on Fashion-MNIST;
// 2. reused under a new head for 4 coarse classes (tops, trousers, dresses and bags, footwear),
//    frozen: only the head learns;
// 3. unfrozen, it joins the same optimizer as a late group at a tenth of the head's rate, while
//    the head's Adam state carries on.

import ai.djl.Model
import ai.djl.engine.Engine
import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.Activation
import ai.djl.nn.Blocks
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.dataset.ArrayDataset
import dev.anneal.data.FashionMnist
import dev.anneal.data.IdxDataset
import dev.anneal.dsl.*
import dev.anneal.optim.AdamOptions
import dev.anneal.optim.Optimizer
import dev.anneal.train.loss.Losses
import java.nio.ByteBuffer

val passes = args.indexOf("--epochs").let { if (it >= 0) args[it + 1].toInt() else 1 }
val batch = 64
Engine.getInstance().setRandomSeed(5)
/** Fashion-MNIST's ten classes folded into four: tops, trousers, dresses and bags, footwear. */
val coarse = intArrayOf(0, 1, 0, 2, 0, 3, 0, 3, 2, 3)

/** A split with the coarse labels, as an ArrayDataset. */
fun coarseSplit(manager: NDManager, split: FashionMnist.Split, shuffle: Boolean): ArrayDataset {
    val dir = FashionMnist.defaultDir()
    val prefix = if (split == FashionMnist.Split.TRAIN) "train" else "t10k"
    val images = IdxDataset.read(dir.resolve("$prefix-images-idx3-ubyte.gz"))
    val labels = IdxDataset.read(dir.resolve("$prefix-labels-idx1-ubyte.gz"))
    val n = images.shape()[0]
    val x = manager.create(ByteBuffer.wrap(images.data()), Shape(n, 1, 28, 28), DataType.UINT8).toType(DataType.FLOAT32, false).div(255f)
    val y = manager.create(FloatArray(n.toInt()) { coarse[labels.data()[it].toInt() and 0xff].toFloat() })
    return ArrayDataset.Builder().setData(x).optLabels(y).setSampling(batch, shuffle).build()
}

fun values(block: ai.djl.nn.Block): List<FloatArray> = block.parameters.values().map { it.array.toFloatArray() }

fun accuracy(label: String, result: dev.anneal.train.TrainingResult) =
    println("$label: test accuracy %.4f".format(result.validationAccuracy))

Model.newInstance("transfer").use { model ->
    NDManager.newBaseManager().use { data ->
        val backbone = SequentialBlock().add(Blocks.batchFlattenBlock())
            .add(Linear.builder().setUnits(128).build()).add(Activation.reluBlock())
        val fine = SequentialBlock().add(backbone).add(Linear.builder().setUnits(10).build())
        fine.initialize(model.ndManager, DataType.FLOAT32, Shape(batch.toLong(), 1, 28, 28))
        val dir = FashionMnist.defaultDir()

        // 1. The backbone learns Fashion-MNIST's ten classes.
        pipeline {
            model(fine)
            data(FashionMnist.loadShuffled(dir, FashionMnist.Split.TRAIN, data, batch, 5L))
            validation = FashionMnist.load(dir, FashionMnist.Split.TEST, data, batch)
            loss = Losses.softmaxCrossEntropy()
            optimizer { adamW(lr = 1e-3) }
            epochs = passes
            prefetch = 0
        }.use { accuracy("pretrained, 10 classes", it.run()) }

        // 2. A new head on the frozen backbone.
        val head = Linear.builder().setUnits(4).build()
        head.initialize(model.ndManager, DataType.FLOAT32, Shape(batch.toLong(), 128))
        val transferred = SequentialBlock().add(backbone).add(head)
        backbone.freezeParameters(true)
        val pretrained = values(backbone)
        val run = pipeline {
            model(transferred)
            data(coarseSplit(data, FashionMnist.Split.TRAIN, true))
            validation = coarseSplit(data, FashionMnist.Split.TEST, false)
            loss = Losses.softmaxCrossEntropy()
            optimizer { adamW(lr = 1e-3) }
            epochs = passes
            prefetch = 0
        }
        run.use {
            accuracy("frozen backbone, new head, 4 classes", run.run())
            println("backbone unchanged while frozen: " + (values(backbone).zip(pretrained).all { (a, b) -> a.contentEquals(b) }))

            // 3. Unfrozen: the backbone joins as a late group, at a tenth of the head's rate.
            backbone.freezeParameters(false)
            @Suppress("UNCHECKED_CAST") // the pipeline keeps its optimizers untyped; this one is AdamW
            val adamW = run.optimizers.getValue("default") as Optimizer<AdamOptions.Group>
            adamW.addGroup("backbone", parametersOf(backbone)) { it.lr(1e-4) }
            accuracy("fine-tuned, backbone at lr 1e-4", run.run())
            println("backbone changed once unfrozen: " + (values(backbone).zip(pretrained).any { (a, b) -> !a.contentEquals(b) }))
        }
    }
}
