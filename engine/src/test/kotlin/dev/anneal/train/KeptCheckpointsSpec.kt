package dev.anneal.train

import ai.djl.ndarray.NDManager
import dev.anneal.config.InvalidConfigException
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.state.CheckpointFile
import dev.anneal.support.fixedClassifier
import dev.anneal.train.loss.Losses
import dev.anneal.train.metric.MeanLoss
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.createTempDirectory

/** The best epoch's and the final checkpoint a loop keeps, checked against the parameters seen at each epoch's end. */
class KeptCheckpointsSpec : FunSpec({
    val dir = createTempDirectory("kept")

    fun setUp(manager: NDManager) = fixedClassifier(manager)

    fun values(model: ParameterSet): Map<String, List<Float>> = model.all().associate { it.name() to it.array().toFloatArray().toList() }

    /** Runs [epochs] epochs keeping best (by [monitor]) and final checkpoints; returns the parameters at each epoch's end. */
    fun run(manager: NDManager, best: Path, last: Path, monitor: Monitor, epochs: Int, vararg callbacks: Callback,
            resumeFrom: Path? = null):
        Triple<List<Map<String, List<Float>>>, List<History.Row>, List<TrainingEvent.Checkpointed>> {
        val (block, data) = setUp(manager)
        val model = ParameterSet.of(block)
        val atEpochEnd = mutableListOf<Map<String, List<Float>>>()
        val written = mutableListOf<TrainingEvent.Checkpointed>()
        val optimizer = Optimizers.sgd().lr(0.5).momentum(0.9).build().compile(model)
        val builder = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
            .train(data).validation(data).metric(MeanLoss(Losses.softmaxCrossEntropy())).epochs(epochs).manager(manager)
            .bestCheckpoint(best, monitor).finalCheckpoint(last)
            .callback { e, _ ->
                if (e is TrainingEvent.EpochEnd) atEpochEnd += values(model)
                if (e is TrainingEvent.Checkpointed) written += e
            }
        callbacks.forEach { builder.callback(it) }
        resumeFrom?.let { builder.resumeFrom(it) }
        val result = builder.build().run()
        optimizer.close()
        return Triple(atEpochEnd, result.history.epochs(), written)
    }

    test("the best epoch's checkpoint holds that epoch's parameters, the final one the last epoch's") {
        NDManager.newBaseManager().use { m ->
            val best = dir.resolve("a/best.anneal")
            val last = dir.resolve("a/final.anneal")
            // The worst val_loss as "best": the first epoch's, long before the run ends.
            val (seen, rows, written) = run(m, best, last, Monitor.of("val_loss", Monitor.Mode.MAX), 4)
            val losses = rows.map { it.get("val_loss") }
            val bestEpoch = losses.indices.maxBy { losses[it] }
            (bestEpoch < 3) shouldBe true
            NDManager.newBaseManager().use { reading ->
                val kept = CheckpointFile.read(best, reading)
                (kept.epoch() to kept.batch()) shouldBe ((bestEpoch + 1) to 0L)
                kept.parameters().mapValues { it.value.toFloatArray().toList() } shouldBe seen[bestEpoch]
                val end = CheckpointFile.read(last, reading)
                (end.epoch() to end.batch()) shouldBe (4 to 0L)
                end.parameters().mapValues { it.value.toFloatArray().toList() } shouldBe seen[3]
            }
            // Written at every epoch that improved on all before it, then once at the end.
            val improving = losses.indices.filter { e -> (0 until e).all { losses[it] < losses[e] } }
            written.map { it.file() to it.epoch() } shouldContainExactly improving.map { best to it + 1 } + listOf(last to 4)
        }
    }

    test("a resumed run goes on from the best recorded beside the file: a worse epoch of its own does not replace it") {
        NDManager.newBaseManager().use { m ->
            val best = dir.resolve("r/best.anneal")
            val last = dir.resolve("r/final.anneal")
            // A minimum change no later epoch reaches: only a run's first epoch beats "no best yet".
            val worst = Monitor("val_loss", Monitor.Mode.MIN, 100.0)
            val (_, rows, _) = run(m, best, last, worst, 2)
            Files.readString(dir.resolve("r/best.anneal.figure")).trim() shouldBe "val_loss " + rows[0].get("val_loss")
            val copy = Files.copy(last, dir.resolve("r/resume.anneal"))
            val (_, _, written) = run(m, best, last, worst, 4, resumeFrom = copy)
            written.map { it.file() } shouldContainExactly listOf(last) // no epoch of the resumed run beat epoch 1's record
            NDManager.newBaseManager().use { reading -> CheckpointFile.read(best, reading).epoch() shouldBe 1 }
            // A fresh run into the same file starts its own best.
            run(m, best, last, worst, 1).third.map { it.file() } shouldContainExactly listOf(best, last)
        }
    }

    test("a run stopped by a callback keeps its final checkpoint where it stopped, and it resumes there") {
        NDManager.newBaseManager().use { m ->
            val best = dir.resolve("b/best.anneal")
            val last = dir.resolve("b/final.anneal")
            val stopAt = Callback { e, control -> if (e is TrainingEvent.BatchEnd && e.epoch == 1 && e.batch == 3L) control.stop("enough") }
            val (seen, _, _) = run(m, best, last, Monitor.of("val_loss", Monitor.Mode.MIN), 3, stopAt)
            seen.size shouldBe 1
            NDManager.newBaseManager().use { reading ->
                val end = CheckpointFile.read(last, reading)
                (end.epoch() to end.batch()) shouldBe (1 to 3L)
            }
            val (block, data) = setUp(m)
            val resumed = mutableListOf<TrainingEvent.BatchEnd>()
            val optimizer = Optimizers.sgd().lr(0.5).momentum(0.9).build().compile(ParameterSet.of(block))
            TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer).train(data).epochs(3)
                .manager(m).resumeFrom(last).callback { e, _ -> if (e is TrainingEvent.BatchEnd) resumed += e }.build().run()
            optimizer.close()
            (resumed.first().epoch to resumed.first().batch) shouldBe (1 to 4L)
            resumed.first().step shouldBe 8L + 3L + 1L
        }
    }

    test("a figure the run does not measure is refused before training, and nothing is written") {
        NDManager.newBaseManager().use { m ->
            val best = dir.resolve("c/best.anneal")
            val last = dir.resolve("c/final.anneal")
            val e = shouldThrow<InvalidConfigException> { run(m, best, last, Monitor.of("val_top5", Monitor.Mode.MAX), 2) }
            e.message shouldContain "trainingLoop.bestCheckpoint.monitor is \"val_top5\", which this run does not measure"
            Files.exists(best) shouldBe false
            Files.exists(last) shouldBe false
        }
    }
})
