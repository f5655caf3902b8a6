package dev.anneal.run

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import com.google.gson.JsonParser
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.plot.LineChart
import dev.anneal.schedule.Phase
import dev.anneal.schedule.Duration
import dev.anneal.schedule.Timeline
import dev.anneal.support.fixedClassifier
import dev.anneal.train.Callback
import dev.anneal.train.History
import dev.anneal.train.TrainingEvent
import dev.anneal.train.TrainingLoop
import dev.anneal.train.TrainingResult
import dev.anneal.train.loss.Losses
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContainAll
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.UncheckedIOException
import java.nio.file.Files
import java.nio.file.Path
import javax.imageio.ImageIO

/**
 * The run folder of a real run: a linear classifier over three epochs with a validation set and a
 * cosine learning rate. What it writes is read back as a user would: the CSV and JSON lines hold
 * the run's history, the PNG files are what the charts of the metrics read back from the CSV
 * draw, byte for byte, and show something.
 */
class RunFolderSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    fun train(dir: Path, epochs: Int = 3, stopAt: Long? = null, extra: Callback? = null): Pair<TrainingResult, RunFolder> {
        val (block, data) = fixedClassifier(manager)
        val cosine = Timeline.of(Phase.cosine(Duration.steps(8L * epochs), 0.5, 0.01))
        val optimizer = Optimizers.sgd().lr(cosine).momentum(0.9).build().compile(ParameterSet.of(block))
        val folder = RunFolder.create(dir, optimizer)
        val loop = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
            .train(data).validation(data).epochs(epochs).manager(manager).logEvery(2).callback(folder)
        extra?.let { loop.callback(it) }
        stopAt?.let { at -> loop.callback(Callback { e, c -> if (e is TrainingEvent.BatchEnd && e.step == at) c.stop("enough") }) }
        return optimizer.use { loop.build().run() } to folder
    }

    /** metrics.csv read back into a history: an empty cell is a figure the row lacks. */
    fun readCsv(file: Path): History {
        val lines = Files.readAllLines(file)
        val header = lines[0].split(",")
        val history = History()
        for (line in lines.drop(1)) {
            val cells = line.split(",")
            val values = LinkedHashMap<String, Double>()
            for (i in 3 until header.size) {
                if (cells[i].isNotEmpty()) values[header[i]] = cells[i].toDouble()
            }
            history.add(History.Row(History.Kind.valueOf(cells[0].uppercase()), cells[1].toInt(), cells[2].toLong(), values))
        }
        return history
    }

    test("metrics.csv and metrics.jsonl hold every row of the history, steps and epochs in the order they were logged") {
        val dir = tempdir().toPath().resolve("runs/a")
        val (result, _) = train(dir)
        val rows = result.history.steps().size + result.history.epochs().size
        result.history.steps().size shouldBeGreaterThan 10
        val csv = readCsv(dir.resolve(RunFolder.METRICS_CSV))
        csv.steps() shouldBe result.history.steps()
        csv.epochs() shouldBe result.history.epochs()
        val header = Files.readAllLines(dir.resolve(RunFolder.METRICS_CSV))[0].split(",")
        header shouldContainAll listOf("kind", "epoch", "step", "loss", "mean_loss", "lr/default", "momentum/default",
            "time", "train_loss", "val_accuracy")
        val json = Files.readAllLines(dir.resolve(RunFolder.METRICS_JSONL)).map { JsonParser.parseString(it).asJsonObject }
        json.size shouldBe rows
        json.map { it["kind"].asString }.take(5) shouldContainExactly listOf("step", "step", "step", "step", "epoch")
        json.filter { it["kind"].asString == "epoch" }.map { it["val_accuracy"].asDouble } shouldContainExactly
            result.history.epochs().map { it.get("val_accuracy") }
        json.filter { it["kind"].asString == "step" }.map { it["lr/default"].asDouble } shouldContainExactly
            result.history.steps().map { it.get("lr/default") }
    }

    test("config.json gives each group's parameters and values, the schedule as written") {
        val dir = tempdir().toPath()
        train(dir, epochs = 1)
        val config = JsonParser.parseString(Files.readString(dir.resolve(RunFolder.CONFIG))).asJsonObject
        val sgd = config["optimizers"].asJsonObject["default"].asJsonObject
        sgd["optimizer"].asString shouldBe "sgd"
        val group = sgd["groups"].asJsonObject["default"].asJsonObject
        group["parameters"].asJsonArray.map { it.asString } shouldContainExactly listOf("01Linear_weight", "01Linear_bias")
        group["values"].asJsonObject["momentum"].asDouble shouldBe 0.9
        group["values"].asJsonObject["lr"].asString shouldBe "Cosine[length=8 steps, peak=0.5, end=0.01]"
    }

    test("the PNG files are the charts of the metrics read back from the CSV, byte for byte, and show the curves") {
        val dir = tempdir().toPath()
        val (result, _) = train(dir)
        val charts = Charts.all(readCsv(dir.resolve(RunFolder.METRICS_CSV)))
        charts.keys.toList() shouldContainExactly listOf("loss", "validation", "step-loss", "step-lr")
        for ((name, chart) in charts) {
            val file = dir.resolve("$name.png")
            Files.readAllBytes(file).contentEquals(LineChart.png(chart)) shouldBe true
            val image = ImageIO.read(file.toFile())
            image.width shouldBe LineChart.WIDTH
            image.height shouldBe LineChart.HEIGHT
            // A drawn line: many pixels that are neither white nor grey.
            var coloured = 0
            for (px in 0 until image.width) for (py in 0 until image.height) {
                val rgb = image.getRGB(px, py)
                val r = rgb shr 16 and 255; val g = rgb shr 8 and 255; val b = rgb and 255
                if (maxOf(r, g, b) - minOf(r, g, b) > 60) coloured++
            }
            coloured shouldBeGreaterThan 200
        }
        // The lines are the history's: three epochs of training loss, a falling cosine rate.
        val losses = Charts.losses(result.history).getSeries("training")
        losses.yData.toList() shouldBe result.history.epochs().map { it.get(History.TRAIN_LOSS) }
        val lr = Charts.stepFigures(result.history).getValue("lr").getSeries("default")
        lr.yData.toList() shouldBe result.history.steps().map { it.get("lr/default") }
        lr.yData.toList().zipWithNext().all { (a, b) -> b < a } shouldBe true
    }

    test("diagnosis.txt says what the curves say, when the run ends or stops") {
        val dir = tempdir().toPath()
        val (result, folder) = train(dir)
        Files.readString(dir.resolve(RunFolder.DIAGNOSIS)).trim() shouldBe Diagnosis.of(result).text()
        folder.diagnosis() shouldBe Diagnosis.of(result)

        val stopped = tempdir().toPath()
        val (cut, cutFolder) = train(stopped, epochs = 3, stopAt = 12)
        cut.stopReason shouldBe "enough"
        cutFolder.diagnosis() shouldBe Diagnosis.of(cut)
        readCsv(stopped.resolve(RunFolder.METRICS_CSV)).steps().last().step shouldBe 12
    }

    test("a run refused before training leaves its folder empty") {
        val dir = tempdir().toPath().resolve("refused")
        shouldThrow<dev.anneal.config.InvalidConfigException> {
            train(dir, extra = dev.anneal.train.Callbacks.earlyStopping(
                dev.anneal.train.Monitor.of("val_loss", dev.anneal.train.Monitor.Mode.MIN), 1, null))
        }.message shouldContain "val_loss"
        Files.list(dir).use { it.count() } shouldBe 0L
    }

    test("a folder that cannot be made is an error naming the path, before training") {
        val file = tempdir().toPath().resolve("taken")
        Files.writeString(file, "a file, not a folder")
        val optimizer = Optimizers.sgd().build().compile(ParameterSet.of(mapOf("w" to manager.ones(Shape(2)).also { it.setRequiresGradient(true) })))
        optimizer.use {
            val e = shouldThrow<UncheckedIOException> { RunFolder.create(file.resolve("run"), it) }
            e.message shouldContain "taken"
        }
    }
})
