package dev.anneal.state

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.dataset.ArrayDataset
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.support.GradientGenerator
import dev.anneal.support.bits
import dev.anneal.train.TrainingEvent
import dev.anneal.train.TrainingLoop
import dev.anneal.train.loss.Losses
import java.io.PrintStream
import java.nio.file.Files
import java.nio.file.Path

/**
 * The training process [CheckpointKillSpec] kills: a linear layer under Adam on fixed data,
 * [EPOCHS] epochs of [BATCHES] batches, a checkpoint after every step into the folder given
 * (keeping the number given), resumed from the newest good one there. It prints `ready` before the
 * first step, `checkpointed <step> temporaries=<n>` after each write (n: temporary files then in
 * the folder), and at the end `final <parameter bits>` and `done <steps>`.
 */
object KillChild {
    const val EPOCHS = 4
    const val BATCHES = 16

    @JvmStatic
    fun main(args: Array<String>) = train(Path.of(args[0]), args[1].toInt(), System.out)

    /** The run, printing to [out]; in a test's own JVM it is the unbroken run the killed one must match. */
    fun train(dir: Path, keep: Int, out: PrintStream) {
        NDManager.newBaseManager().use { m ->
            val block = SequentialBlock().add(Linear.builder().setUnits(3).build())
            block.initialize(m, DataType.FLOAT32, Shape(4, 4))
            block.parameters.values().forEachIndexed { i, p ->
                m.create(GradientGenerator.values(3, 0, i, p.array.shape.size().toInt(), 0.5), p.array.shape).copyTo(p.array)
            }
            val x = m.create(GradientGenerator.values(4, 0, 0, BATCHES * 4 * 4, 1.0), Shape(BATCHES * 4L, 4))
            val y = m.create(FloatArray(BATCHES * 4) { (it % 3).toFloat() })
            val data = ArrayDataset.Builder().setData(x).optLabels(y).setSampling(4, false).build()
            Optimizers.adam().lr(0.01).build().compile(ParameterSet.of(block)).use { optimizer ->
                val loop = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
                    .train(data).epochs(EPOCHS).manager(m)
                    .checkpoints(CheckpointPolicy.everySteps(dir, 1).keep(keep))
                    .callback { e, _ ->
                        if (e is TrainingEvent.Checkpointed) {
                            val temporaries = Files.list(dir).use { f -> f.filter { it.fileName.toString().endsWith(".tmp") }.count() }
                            out.println("checkpointed ${e.step} temporaries=$temporaries")
                        }
                    }
                val latest = CheckpointPolicy.latest(dir)
                latest.skipped().forEach { out.println("skipped: $it") }
                latest.file().ifPresent {
                    out.println("resumed ${it.fileName}")
                    loop.resumeFrom(it)
                }
                out.println("ready")
                val result = loop.build().run()
                out.println("final " + block.parameters.values().joinToString(" ") { it.array.toFloatArray().bits().joinToString(",") })
                out.println("done ${result.steps}")
            }
        }
    }
}
