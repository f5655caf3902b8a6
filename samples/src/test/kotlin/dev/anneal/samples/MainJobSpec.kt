package dev.anneal.samples

import ai.djl.ndarray.types.DataType
import dev.anneal.grad.LossScale
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.shouldBeGreaterThanOrEqual
import io.kotest.matchers.ints.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import java.io.ByteArrayOutputStream
import java.io.PrintStream
import java.nio.file.Files
import java.nio.file.Path

class MainJobSpec : FunSpec({
    val subset = Path.of("data", "fashion-mnist")
    val timings = Regex("""[0-9.]+ ms""")

    fun job(seed: Int, epochs: Int = 1, checkpoints: Path? = null) = JobSettings(subset, epochs, seed).withCheckpoints(checkpoints)

    fun kotlinRun(job: JobSettings): Pair<Double, String> {
        val out = ByteArrayOutputStream()
        val accuracy = FashionMnistPipeline(job, PrintStream(out, true)).run()
        return accuracy to out.toString()
    }

    fun javaRun(job: JobSettings): Pair<Double, String> {
        val out = ByteArrayOutputStream()
        val accuracy = FashionMnistLeNet(job, PrintStream(out, true)).run()
        return accuracy to out.toString()
    }

    /** The Kotlin pipeline's plain run with seed 5, which two tests compare with. */
    val seed5 by lazy { kotlinRun(job(5)) }

    test("the header ends with the options in effect, none by default") {
        val recipe = { job: JobSettings -> FashionMnistLeNet.header(job, 9504, 1000).lines().last() }
        recipe(JobSettings(subset, 1, 42)) shouldBe "Momentum lr 0.01, momentum 0.9, batch 32, 1 epochs, seed 42"
        recipe(JobSettings(subset, 1, 42).withClip(0.5)) shouldBe "Momentum lr 0.01, momentum 0.9, batch 32, 1 epochs, seed 42, clip 0.5"
        recipe(JobSettings(subset, 1, 42).withAccumulate(1)) shouldBe "Momentum lr 0.01, momentum 0.9, batch 32, 1 epochs, seed 42"
        recipe(JobSettings(subset, 2, 7).withClip(1.0).withAccumulate(4)) shouldBe
            "Momentum lr 0.01, momentum 0.9, batch 32, 2 epochs, seed 7, clip 1.0, accumulate 4"
        recipe(JobSettings(subset, 1, 42).withLossScale(LossScale.dynamic())) shouldBe
            "Momentum lr 0.01, momentum 0.9, batch 32, 1 epochs, seed 42, dynamic loss scale"
        recipe(JobSettings(subset, 1, 42).withAccumulate(3).withLossScale(LossScale.fixed(1024.0, true))) shouldBe
            "Momentum lr 0.01, momentum 0.9, batch 32, 1 epochs, seed 42, accumulate 3, fixed loss scale 1024.0"
        recipe(JobSettings(subset, 1, 42).withLossScale(LossScale.none())) shouldBe "Momentum lr 0.01, momentum 0.9, batch 32, 1 epochs, seed 42"
    }

    test("the pipeline reaches at least 0.70 test accuracy in one epoch on the shipped subset, with MindSpore's lines, a diagnosis and a run folder") {
        val folder = Files.createTempDirectory("lenet-run").resolve("runs/a")
        val (accuracy, output) = kotlinRun(job(42).withRunFolder(folder))
        accuracy shouldBeGreaterThanOrEqual 0.70
        output shouldContain "Epoch:[0/1], step:[297/297], loss:["
        val (accuracyLine, diagnosisLine) = output.trim().lines().takeLast(2)
        accuracyLine shouldBe "test accuracy: %.4f".format(java.util.Locale.ROOT, accuracy)
        diagnosisLine shouldStartWith "diagnosis: learning - the training loss went from "
        diagnosisLine shouldBe "diagnosis: " + Files.readString(folder.resolve("diagnosis.txt")).trim()
        Files.list(folder).use { files -> files.map { it.fileName.toString() }.toList().sorted() } shouldBe listOf(
            "best.anneal", "best.anneal.figure", "config.json", "diagnosis.txt", "final.anneal", "loss.png", "metrics.csv", "metrics.jsonl", "step-loss.png",
            "validation.png")
        // One row per 10 steps and the epoch's last, then the epoch's: 29 + 1 + 1.
        Files.readAllLines(folder.resolve("metrics.csv")).size shouldBe 1 + 30 + 1
    }

    test("the Java sample prints the same numbers as the Kotlin pipeline for the same seed; another seed differs") {
        val (kotlinAccuracy, kotlinOutput) = seed5
        val (javaAccuracy, javaOutput) = javaRun(job(5))
        javaAccuracy shouldBe kotlinAccuracy
        timings.replace(javaOutput, "time") shouldBe timings.replace(kotlinOutput, "time")
        timings.replace(kotlinRun(job(6)).second, "time") shouldNotBe timings.replace(kotlinOutput, "time")
    }

    test("with clipping, accumulation and a dynamic loss scale the Java sample prints the same lines as the pipeline, which differ from a plain run's") {
        val options = job(5).withClip(1.0).withAccumulate(2).withLossScale(LossScale.dynamic())
        val (kotlinAccuracy, kotlinOutput) = kotlinRun(options)
        val (javaAccuracy, javaOutput) = javaRun(options)
        kotlinOutput.lines()[1] shouldBe "Momentum lr 0.01, momentum 0.9, batch 32, 1 epochs, seed 5, clip 1.0, accumulate 2, dynamic loss scale"
        kotlinOutput shouldContain "Epoch:[0/1], step:[297/297], loss:["
        javaAccuracy shouldBe kotlinAccuracy
        timings.replace(javaOutput, "time") shouldBe timings.replace(kotlinOutput, "time")
        val lastLines = { output: String -> timings.replace(output, "time").trim().lines().takeLast(3) }
        lastLines(kotlinOutput) shouldNotBe lastLines(seed5.second)
    }

    test("in mixed precision the Java sample prints the same lines as the pipeline, and learns") {
        val options = job(5).withPrecision(DataType.FLOAT16).withLossScale(LossScale.dynamic())
        val (kotlinAccuracy, kotlinOutput) = kotlinRun(options)
        val (javaAccuracy, javaOutput) = javaRun(options)
        kotlinOutput.lines()[1] shouldBe "Momentum lr 0.01, momentum 0.9, batch 32, 1 epochs, seed 5, dynamic loss scale, " +
            "float16 with float32 masters"
        javaAccuracy shouldBe kotlinAccuracy
        timings.replace(javaOutput, "time") shouldBe timings.replace(kotlinOutput, "time")
        // within a point of the float32 run of the same seed (issue 12 asks it of 2 epochs; this is 1)
        withClue("float16 $kotlinAccuracy, float32 ${seed5.first}") { kotlinAccuracy shouldBeGreaterThanOrEqual seed5.first - 0.01 }
    }

    test("stopped after one epoch and resumed from its checkpoint, by the other language, the job ends as an unbroken one") {
        val dir = Files.createTempDirectory("lenet-checkpoints")
        val (straight, straightOutput) = kotlinRun(job(7, epochs = 2))
        kotlinRun(job(7, epochs = 1, checkpoints = dir))
        val (resumed, resumedOutput) = javaRun(job(7, epochs = 2, checkpoints = dir))
        resumedOutput shouldContain "resuming from $dir/checkpoint-0000000297.anneal"
        resumed shouldBe straight
        val secondEpoch = { output: String -> timings.replace(output, "time").lines().filter { it.startsWith("Epoch:[1/2]") || it.startsWith("epoch 2/2") } }
        secondEpoch(resumedOutput).size shouldBeGreaterThanOrEqual 2
        secondEpoch(resumedOutput) shouldBe secondEpoch(straightOutput)
    }
})
