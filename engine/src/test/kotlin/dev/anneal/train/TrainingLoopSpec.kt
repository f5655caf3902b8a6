package dev.anneal.train

import ai.djl.engine.Engine
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.dataset.ArrayDataset
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.state.CheckpointFile
import dev.anneal.state.CheckpointPolicy
import dev.anneal.support.GradientGenerator
import dev.anneal.support.bits
import dev.anneal.train.loss.Losses
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.ints.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldMatch
import java.io.ByteArrayOutputStream
import java.io.PrintStream

/** The epoch row a loop would log at [e], with [figure] at [value]. */
private fun epochRow(e: TrainingEvent.EpochEnd, figure: String, value: Double) =
    TrainingEvent.Logged(History.Row(History.Kind.EPOCH, e.epoch, e.step, mapOf(History.TRAIN_LOSS to e.meanLoss, figure to value)))

class TrainingLoopSpec : FunSpec({
    val samples = 128
    val batchSize = 16L

    /**
     * A linear classifier on fixed data, parameters set from the generator so runs can be compared;
     * the sample [nanAt], if given, has a NaN feature.
     */
    fun setUp(manager: NDManager, limit: Long = samples.toLong(), nanAt: Int? = null): Pair<SequentialBlock, ArrayDataset> {
        val block = SequentialBlock().add(Linear.builder().setUnits(3).build())
        block.initialize(manager, DataType.FLOAT32, Shape(batchSize, 4))
        block.parameters.values().forEachIndexed { i, p ->
            manager.create(GradientGenerator.values(5, 0, i, p.array.shape.size().toInt(), 0.5), p.array.shape).copyTo(p.array)
        }
        val features = GradientGenerator.values(9, 0, 0, samples * 4, 1.0)
        nanAt?.let { features[it * 4 + 1] = Float.NaN }
        val x = manager.create(features, Shape(samples.toLong(), 4))
        val y = manager.create(FloatArray(samples) { (it % 3).toFloat() })
        val data = ArrayDataset.Builder().setData(x).optLabels(y).setSampling(batchSize.toInt(), false).optLimit(limit).build()
        return block to data
    }

    fun loop(manager: NDManager, block: SequentialBlock, data: ArrayDataset, epochs: Int, vararg callbacks: Callback,
             cancelled: () -> Boolean = { false }): Pair<TrainingResult, dev.anneal.optim.Optimizer<*>> {
        val optimizer = Optimizers.sgd().lr(0.1).momentum(0.9).build().compile(ParameterSet.of(block))
        val builder = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
            .train(data).epochs(epochs).manager(manager).cancelled(cancelled)
        callbacks.forEach { builder.callback(it) }
        return builder.build().run() to optimizer
    }

    test("every batch and every epoch is reported, in order, with the step counter") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val events = mutableListOf<TrainingEvent>()
            val (result, _) = loop(m, block, data, 2, Callback { e, _ -> events += e })
            val batches = events.filterIsInstance<TrainingEvent.BatchEnd>()
            batches.map { it.epoch to it.batch } shouldContainExactly (0..1).flatMap { e -> (1L..8L).map { e to it } }
            batches.map { it.step } shouldContainExactly (1L..16L).toList()
            batches.all { it.batches == 8L && it.lr == 0.1 } shouldBe true
            events.filterIsInstance<TrainingEvent.EpochEnd>().map { it.epoch } shouldContainExactly listOf(0, 1)
            result shouldBe TrainingResult(2, 16, result.meanLoss, Double.NaN, null, emptyMap(), result.history)
        }
    }

    test("the history logs every 10th step and each epoch's last, with the batch loss and every group's values, and each epoch") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val events = mutableListOf<TrainingEvent>()
            val (result, _) = loop(m, block, data, 2, Callback { e, _ -> events += e })
            val batches = events.filterIsInstance<TrainingEvent.BatchEnd>().associateBy { it.step }
            val steps = result.history.steps()
            steps.map { it.step } shouldContainExactly listOf(8L, 10L, 16L)
            steps.map { it.epoch } shouldContainExactly listOf(0, 1, 1)
            for (row in steps) {
                row.get(History.LOSS) shouldBe batches.getValue(row.step).loss
                row.get(History.MEAN_LOSS) shouldBe batches.getValue(row.step).meanLoss
                row.get("lr/default") shouldBe 0.1
                row.get("momentum/default") shouldBe 0.9
                row.values.containsKey("grad_norm") shouldBe false // no clipping
            }
            val epochs = events.filterIsInstance<TrainingEvent.EpochEnd>()
            result.history.epochs().map { it.get(History.TRAIN_LOSS) } shouldContainExactly epochs.map { it.meanLoss }
            result.history.epochs().map { it.step } shouldContainExactly listOf(8L, 16L)
            // Each row is also an event, right after what it logs.
            events.filterIsInstance<TrainingEvent.Logged>().map { it.row } shouldContainExactly
                listOf(steps[0], result.history.epochs()[0], steps[1], steps[2], result.history.epochs()[1])
        }
    }

    test("cancelled after N batches, the parameters are those of exactly N steps, and so is the counter") {
        Engine.getInstance().setRandomSeed(1)
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            var done = 0
            val (result, optimizer) = loop(m, block, data, 3, Callback { e, _ -> if (e is TrainingEvent.BatchEnd) done++ },
                cancelled = { done >= 5 })
            result.stopReason shouldBe "cancelled"
            optimizer.stepCount() shouldBe 5
            val cancelledParams = block.parameters.values().map { it.array.toFloatArray().bits() }

            val (reference, referenceData) = setUp(m, limit = 5 * batchSize)
            val (full, _) = loop(m, reference, referenceData, 1)
            full.steps shouldBe 5
            reference.parameters.values().map { it.array.toFloatArray().bits() } shouldBe cancelledParams
        }
    }

    test("Java's future: complete on its own, or cancelled to stop between batches") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val executor = java.util.concurrent.Executors.newSingleThreadExecutor()
            val optimizer = Optimizers.sgd().lr(0.1).build().compile(ParameterSet.of(block))
            val builder = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
                .train(data).epochs(1).manager(m)
            builder.build().start(executor).get().steps shouldBe 8

            val future = java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CompletableFuture<TrainingResult>>()
            val started = java.util.concurrent.CountDownLatch(1)
            builder.epochs(3).callback(Callback { e, _ ->
                if (e is TrainingEvent.BatchEnd && e.step == 11L) {
                    started.await()
                    future.get().cancel(true)
                }
            })
            future.set(builder.build().start(executor))
            started.countDown()
            executor.shutdown()
            executor.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS) shouldBe true
            future.get().isCancelled shouldBe true
            optimizer.stepCount() shouldBe 11 // 8 from the first run, 3 before the cancel
        }
    }

    test("a callback can stop the run after the batch it sees") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val stopped = mutableListOf<TrainingEvent.Stopped>()
            val (result, _) = loop(m, block, data, 2, Callback { e, control ->
                if (e is TrainingEvent.BatchEnd && e.step == 3L) control.stop("enough")
                if (e is TrainingEvent.Stopped) stopped += e
            })
            result.steps shouldBe 3
            result.stopReason shouldBe "enough"
            stopped shouldContainExactly listOf(TrainingEvent.Stopped(0, 3, "enough"))
        }
    }

    test("stop on NaN stops at the step whose loss is not finite") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val stops = mutableListOf<String>()
            val (result, _) = loop(m, block, data, 1, { e, control ->
                // A loss becomes NaN at step 3: the callback sees it as the loop would.
                if (e is TrainingEvent.BatchEnd && e.step == 3L) {
                    Callbacks.stopOnNaN().on(
                        TrainingEvent.BatchEnd(e.epoch, e.epochs, e.batch, e.batches, e.step, Double.NaN, e.meanLoss, e.millis, e.lr,
                            e.gradNorm, e.lossScale, e.skippedSteps),
                        control,
                    )
                }
            }, Callback { e, _ -> if (e is TrainingEvent.Stopped) stops += e.reason })
            result.steps shouldBe 3
            stops shouldContainExactly listOf("loss is NaN at step 3")
        }
    }

    test("a NaN loss stops the run before its update and before any checkpoint, with no callback asked") {
        NDManager.newBaseManager().use { m ->
            val dir = kotlin.io.path.createTempDirectory("nan")
            val (block, data) = setUp(m, nanAt = 40) // in the third batch
            val events = mutableListOf<TrainingEvent>()
            val optimizer = Optimizers.sgd().lr(0.1).momentum(0.9).build().compile(ParameterSet.of(block))
            val result = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
                .train(data).epochs(2).manager(m).callback { e, _ -> events += e }
                .checkpoints(CheckpointPolicy.everySteps(dir, 1)).build().run()
            result.steps shouldBe 2
            result.stopReason shouldBe "loss is NaN in epoch 0, batch 3; stopped with the parameters of step 2"
            events.filterIsInstance<TrainingEvent.BatchEnd>().map { it.batch } shouldContainExactly listOf(1L, 2L)
            events.filterIsInstance<TrainingEvent.Checkpointed>().map { it.step } shouldContainExactly listOf(1L, 2L)
            events.last() shouldBe TrainingEvent.Stopped(0, 2, result.stopReason)
            optimizer.stepCount() shouldBe 2

            // The parameters are those of two clean steps, and so is the newest checkpoint.
            val (reference, referenceData) = setUp(m, limit = 2 * batchSize)
            loop(m, reference, referenceData, 1).first.steps shouldBe 2
            val clean = reference.parameters.values().map { it.array.toFloatArray().bits() }
            block.parameters.values().map { it.array.toFloatArray().bits() } shouldBe clean
            val latest = CheckpointPolicy.latest(dir).file().get()
            latest shouldBe dir.resolve("checkpoint-0000000002.anneal")
            CheckpointFile.read(latest, m).parameters.values.map { it.toFloatArray().bits() } shouldBe clean
        }
    }

    test("early stopping waits out its patience, then puts back the best epoch's parameters") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val accuracies = listOf(0.5, 0.7, 0.69, 0.71, 0.65)
            val early = Callbacks.earlyStopping(Monitor("val_accuracy", Monitor.Mode.MAX, 0.02), 2, ParameterSet.of(block))
            val atEpoch = mutableMapOf<Int, List<List<Int>>>()
            val (result, _) = loop(m, block, data, 5, { e, control ->
                if (e is TrainingEvent.EpochEnd) {
                    atEpoch[e.epoch] = block.parameters.values().map { it.array.toFloatArray().bits() }
                    early.on(epochRow(e, "val_accuracy", accuracies[e.epoch]), control)
                }
            })
            // Epoch 1 is the best (0.71 is not better by more than 0.02); epochs 2 and 3 are the
            // patience of 2, as Keras counts it, and the run stops at the end of epoch 3, the fourth completed.
            result.epochs shouldBe 4
            result.stopReason shouldBe "no improvement of val_accuracy on 0.7000 for 2 epochs"
            block.parameters.values().map { it.array.toFloatArray().bits() } shouldBe atEpoch.getValue(1)
        }
    }

    test("plateau control fed each epoch's validation accuracy lowers the lr it scales") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val plateau = dev.anneal.schedule.Plateau(dev.anneal.schedule.Schedule.constant(0.1),
                dev.anneal.schedule.Plateau.Mode.MAX, 0.5, 0, 0.0, dev.anneal.schedule.Plateau.ThresholdMode.ABS, 0, 0.0, 0.0)
            val feed = Callbacks.plateau(plateau, "val_accuracy")
            val accuracies = listOf(0.6, 0.6, 0.6)
            loop(m, block, data, 3, { e, control ->
                if (e is TrainingEvent.EpochEnd) {
                    feed.on(epochRow(e, "val_accuracy", accuracies[e.epoch]), control)
                }
            })
            plateau.scale() shouldBe 0.25 // epochs 1 and 2 did not improve on 0.6
            plateau.at(25) shouldBe 0.025
        }
    }

    test("early stopping and plateau control watch any epoch figure: val_loss going down, train_loss") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            // A threshold no epoch beats: after the first, each epoch halves the scale (patience 0).
            val plateau = dev.anneal.schedule.Plateau(dev.anneal.schedule.Schedule.constant(0.1),
                dev.anneal.schedule.Plateau.Mode.MIN, 0.5, 0, 10.0, dev.anneal.schedule.Plateau.ThresholdMode.ABS, 0, 0.0, 0.0)
            val fed = mutableListOf<Double>()
            val optimizer = Optimizers.sgd().lr(0.1).build().compile(ParameterSet.of(block))
            val result = optimizer.use {
                TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(it).train(data)
                    .validation(data).metric(dev.anneal.train.metric.MeanLoss(Losses.softmaxCrossEntropy())).epochs(6).manager(m)
                    .callback(Callbacks.plateau(plateau, "val_loss"))
                    .callback { e, _ -> if (e is TrainingEvent.Logged && e.row.kind == History.Kind.EPOCH) fed += e.row.get("val_loss") }
                    // A minimum change no epoch reaches: the run stops once the patience of 2 is spent.
                    .callback(Callbacks.earlyStopping(Monitor("train_loss", Monitor.Mode.MIN, 10.0), 2, null))
                    .build().run()
            }
            result.epochs shouldBe 3 // the first epoch sets the best; two more without improvement spend the patience of 2
            result.stopReason shouldBe "no improvement of train_loss on %.4f for 2 epochs".format(java.util.Locale.ROOT,
                result.history.epochs()[0].get(History.TRAIN_LOSS))
            fed shouldContainExactly result.history.epochs().map { it.get("val_loss") }
            plateau.scale() shouldBe 0.25
        }
    }

    test("a watched figure the run does not measure is refused before training, saying what it measures") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val before = block.parameters.values().map { it.array.toFloatArray().bits() }
            val optimizer = Optimizers.sgd().lr(0.1).build().compile(ParameterSet.of(block))
            optimizer.use {
                val noLoss = io.kotest.assertions.throwables.shouldThrow<dev.anneal.config.InvalidConfigException> {
                    TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(it).train(data)
                        .validation(data).epochs(2).manager(m)
                        .callback(Callbacks.earlyStopping(Monitor.of("val_loss", Monitor.Mode.MIN), 1, null)).build().run()
                }
                noLoss.message shouldBe "earlyStopping.monitor is \"val_loss\", which this run does not measure; it measures " +
                    "[train_loss, val_accuracy] (add the metric on the validation set, such as metrics { loss() } for val_loss)"
                val noValidation = io.kotest.assertions.throwables.shouldThrow<dev.anneal.config.InvalidConfigException> {
                    TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(it).train(data)
                        .epochs(2).manager(m).callback(Callbacks.plateau(dev.anneal.schedule.Plateau(
                            dev.anneal.schedule.Schedule.constant(0.1), dev.anneal.schedule.Plateau.Mode.MAX, 0.5, 0, 0.0,
                            dev.anneal.schedule.Plateau.ThresholdMode.ABS, 0, 0.0, 0.0), "val_accuracy")).build().run()
                }
                noValidation.message shouldBe "plateau.monitor is \"val_accuracy\", which this run does not measure; it " +
                    "measures [train_loss] (it has no validation set: give it one for val_ figures)"
                it.stepCount() shouldBe 0
            }
            block.parameters.values().map { it.array.toFloatArray().bits() } shouldBe before
        }
    }

    test("the CSV log writes a header and one row per epoch") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val file = kotlin.io.path.createTempDirectory().resolve("log.csv")
            loop(m, block, data, 2, Callbacks.csvLog(file))
            val lines = file.toFile().readLines()
            lines.first() shouldBe "epoch,step,mean_loss,validation_accuracy,millis"
            lines.drop(1).map { it.split(",").take(2) } shouldContainExactly listOf(listOf("0", "8"), listOf("1", "16"))
        }
    }

    test("the progress bar fits the terminal's width, with readable figures") {
        val batch = TrainingEvent.BatchEnd(0, 10, 938, 1875, 938, 0.41234, 0.5, 2.0, 3.2e-5, 2.5, 32768.0, 3)
        // The gradient figures stay in the log: the bar must fit one terminal line to be redrawn.
        ProgressBar.line(batch, 938, 2.274, 120) shouldBe
            "epoch 1/10 [###############---------------]  938/1875 412.5 it/s eta 0:02 loss 0.4123 lr 3.2e-05"
        // The count is as wide as the total, so that the figures after it stay in place.
        ProgressBar.line(batch, 938, 2.274, 80) shouldBe "epoch 1/10 [#####------]  938/1875 412.5 it/s eta 0:02 loss 0.4123 lr 3.2e-05"
        ProgressBar.line(batch, 938, 2.274, 75) shouldBe "epoch 1/10 [###---]  938/1875 412.5 it/s eta 0:02 loss 0.4123 lr 3.2e-05"
        ProgressBar.line(batch, 938, 2.274, 72) shouldBe "epoch 1/10  938/1875 412.5 it/s eta 0:02 loss 0.4123 lr 3.2e-05"
        ProgressBar.line(batch, 938, 2.274, 60) shouldBe "epoch 1/10  938/1875 412.5 it/s eta 0:02 loss 0.4123"
        (20..130).forEach { columns -> ProgressBar.line(batch, 938, 2.274, columns).length shouldBeLessThanOrEqual columns - 3 }
        // Resumed at batch 601: the rate counts the batches this run trained.
        ProgressBar.line(batch, 338, 2.0, 80) shouldBe "epoch 1/10 [#####------]  938/1875 169.0 it/s eta 0:06 loss 0.4123 lr 3.2e-05"
        ProgressBar.line(TrainingEvent.BatchEnd(1, 3, 7, -1, 7, 2.0, 2.0, 1.0, 0.01, Double.NaN, 1.0, 0), 7, 1.0, 80) shouldBe
            "epoch 2/3 7/? 7.0 it/s loss 2 lr 0.01"
    }

    test("a progress bar over a run resumed mid-epoch draws from the first batch it sees") {
        val screen = ByteArrayOutputStream()
        val bar = ProgressBar(dev.anneal.terminal.LiveLine(screen, Charsets.UTF_8), { 80 }) { 0L }
        bar.on(TrainingEvent.BatchEnd(0, 1, 51, 100, 51, 0.5, 0.5, 1.0, 0.1, Double.NaN, 1.0, 0)) { }
        screen.toString() shouldMatch Regex("""\repoch 1/1 \[#+-+]  51/100 .* loss 0\.5 lr 0\.1\u001b\[K""")
    }

    test("the progress bar redraws at most ten times a second and leaves each epoch's last line") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val screen = ByteArrayOutputStream()
            val line = dev.anneal.terminal.LiveLine(screen, Charsets.UTF_8)
            var clock = 0L
            // 30 ms a batch: of 8 batches, the 1st, 5th (120 ms after it) and 8th are drawn.
            loop(m, block, data, 2, ProgressBar(line, { 80 }) { clock += 30_000_000; clock })
            val epochs = screen.toString().split("\n").filter { it.isNotEmpty() }
            epochs.size shouldBe 2
            epochs.forEachIndexed { i, text ->
                val draws = text.split("\r").filter { it.isNotEmpty() }
                draws.map { it.substringBefore(" [") + " " + it.substringAfter("] ").substringBefore("/") } shouldBe
                    listOf("epoch ${i + 1}/2 1", "epoch ${i + 1}/2 5", "epoch ${i + 1}/2 8")
                draws.last() shouldMatch Regex("""epoch ${i + 1}/2 \[#+] 8/8 .* it/s eta 0:00 loss \d\.\d+ lr 0\.1\u001b\[K""")
            }
        }
    }

    test("the loss monitor prints MindSpore's lines") {
        LossMonitor.batchLine(TrainingEvent.BatchEnd(0, 10, 1875, 1875, 1875, 0.189, 1.176, 2.254, 0.01, Double.NaN, 1.0, 0)) shouldBe
            "Epoch:[ 0/10], step:[1875/1875], loss:[0.189/1.176], time:2.254 ms, lr:0.01"
        LossMonitor.batchLine(TrainingEvent.BatchEnd(0, 10, 1875, 1875, 1875, 0.189, 1.176, 2.254, 0.01, 0.71234, 1.0, 0)) shouldBe
            "Epoch:[ 0/10], step:[1875/1875], loss:[0.189/1.176], time:2.254 ms, lr:0.01, grad norm:0.7123"
        LossMonitor.batchLine(TrainingEvent.BatchEnd(0, 10, 1875, 1875, 1875, 0.189, 1.176, 2.254, 0.01, 0.71234, 32768.0, 3)) shouldBe
            "Epoch:[ 0/10], step:[1875/1875], loss:[0.189/1.176], time:2.254 ms, lr:0.01, grad norm:0.7123, " +
            "loss scale:32768.0, skipped:3"
        TimeMonitor.epochLine(TrainingEvent.EpochEnd(0, 10, 1875, 1875, 1.176, 4286.163, Double.NaN)) shouldBe
            "Epoch time: 4286.163 ms, per step time: 2.286 ms, avg loss: 1.176"
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val out = ByteArrayOutputStream()
            loop(m, block, data, 1, LossMonitor(PrintStream(out, true), 4), TimeMonitor(PrintStream(out, true)))
            val lines = out.toString().trim().lines()
            lines.size shouldBe 3 // steps 4 and 8, then the epoch
            lines[0] shouldMatch Regex("""Epoch:\[0/1], step:\[4/8], loss:\[\d\.\d{3}/\d\.\d{3}], time:\d+\.\d{3} ms, lr:0\.1""")
            lines[2] shouldMatch Regex("""Epoch time: \d+\.\d{3} ms, per step time: \d+\.\d{3} ms, avg loss: \d\.\d{3}""")
        }
    }
})
