package dev.anneal.train

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.Activation
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.dataset.ArrayDataset
import dev.anneal.grad.LossScale
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.state.CheckpointPolicy
import dev.anneal.support.GradientGenerator
import dev.anneal.support.bits
import dev.anneal.train.loss.Losses
import java.nio.file.Path

/**
 * The run [ResumeAllToolsSpec] starts in fresh JVMs: an MLP under Adam with every gradient tool at
 * once (accumulation over 2 batches, a dynamic loss scale so large that some steps overflow,
 * clipping by the total norm, an average of the weights), [EPOCHS] epochs of [BATCHES] batches,
 * a checkpoint every [EVERY] steps into the folder given. With a checkpoint file as its second
 * argument it resumes from it. It prints `resumed after batch <b> of epoch <e>` when resuming,
 * and at the end `final <parameter bits>`, `state <state tensor bits>` and
 * `counters step=<n> scale=<s> skipped=<k>`.
 */
object ToolsChild {
    const val EPOCHS = 3
    const val BATCHES = 16
    const val EVERY = 5L

    @JvmStatic
    fun main(args: Array<String>) {
        NDManager.newBaseManager().use { m ->
            val block = SequentialBlock().add(Linear.builder().setUnits(8).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(3).build())
            block.initialize(m, DataType.FLOAT32, Shape(4, 4))
            block.parameters.values().forEachIndexed { i, p ->
                m.create(GradientGenerator.values(3, 0, i, p.array.shape.size().toInt(), 0.5), p.array.shape).copyTo(p.array)
            }
            // Every fifth batch's inputs are 100 times larger: its loss is large enough to overflow.
            val features = GradientGenerator.values(4, 0, 0, BATCHES * 4 * 4, 1.0)
                .mapIndexed { i, v -> if (i / 16 % 5 == 3) v * 100 else v }.toFloatArray()
            val x = m.create(features, Shape(BATCHES * 4L, 4))
            val y = m.create(FloatArray(BATCHES * 4) { (it % 3).toFloat() })
            val data = ArrayDataset.Builder().setData(x).optLabels(y).setSampling(4, false).build()
            // 2^126 times a loss above 4 overflows float32: the scale backs off and grows back.
            val spec = Optimizers.adam().lr(0.01).clipGradNorm(1.0).ema(0.9)
                .lossScale(LossScale.dynamic(Math.scalb(1.0, 126), 2.0, 0.5, 3)).build()
            spec.compile(ParameterSet.of(block)).use { optimizer ->
                val loop = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
                    .train(data).epochs(EPOCHS).manager(m).accumulate(2)
                    .checkpoints(CheckpointPolicy.everySteps(Path.of(args[0]), EVERY).keep(100))
                if (args.size > 1) {
                    loop.resumeFrom(Path.of(args[1]))
                    loop.callback(object : Callback {
                        var first = true
                        override fun on(event: TrainingEvent, control: Callback.Control) {
                            if (first && event is TrainingEvent.BatchEnd) {
                                first = false
                                println("resumed after batch ${event.batch - 1} of epoch ${event.epoch}")
                            }
                        }
                    })
                }
                loop.build().run()
                println("final " + block.parameters.values().joinToString(" ") { it.array.toFloatArray().bits().joinToString(",") })
                println("state " + optimizer.state().tensors().entries.joinToString(" ") { (k, v) -> k + "=" + v.toFloatArray().bits().joinToString(",") })
                println("counters step=${optimizer.stepCount()} scale=${optimizer.lossScale()} skipped=${optimizer.skippedSteps()}")
            }
        }
    }
}
