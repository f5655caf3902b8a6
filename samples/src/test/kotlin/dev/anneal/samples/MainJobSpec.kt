package dev.anneal.samples

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.shouldBeGreaterThanOrEqual
import io.kotest.matchers.ints.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import java.io.ByteArrayOutputStream
import java.io.PrintStream
import java.nio.file.Files
import java.nio.file.Path

class MainJobSpec : FunSpec({
    val subset = Path.of("data", "fashion-mnist")
    val timings = Regex("""[0-9.]+ ms""")

    fun kotlinRun(seed: Int, epochs: Int = 1, checkpoints: Path? = null): Pair<Double, String> {
        val out = ByteArrayOutputStream()
        val accuracy = FashionMnistPipeline(JobSettings(subset, epochs, seed).withCheckpoints(checkpoints), PrintStream(out, true)).run()
        return accuracy to out.toString()
    }

    fun javaRun(seed: Int, epochs: Int = 1, checkpoints: Path? = null): Pair<Double, String> {
        val out = ByteArrayOutputStream()
        val accuracy = FashionMnistLeNet(JobSettings(subset, epochs, seed).withCheckpoints(checkpoints), PrintStream(out, true)).run()
        return accuracy to out.toString()
    }

    test("the header ends with the options in effect, none by default") {
        val recipe = { job: JobSettings -> FashionMnistLeNet.header(job, 9504, 1000).lines().last() }
        recipe(JobSettings(subset, 1, 42)) shouldBe "Momentum lr 0.01, momentum 0.9, batch 32, 1 epochs, seed 42"
        recipe(JobSettings(subset, 1, 42).withClip(0.5)) shouldBe "Momentum lr 0.01, momentum 0.9, batch 32, 1 epochs, seed 42, clip 0.5"
        recipe(JobSettings(subset, 1, 42).withAccumulate(1)) shouldBe "Momentum lr 0.01, momentum 0.9, batch 32, 1 epochs, seed 42"
        recipe(JobSettings(subset, 2, 7).withClip(1.0).withAccumulate(4)) shouldBe
            "Momentum lr 0.01, momentum 0.9, batch 32, 2 epochs, seed 7, clip 1.0, accumulate 4"
    }

    test("the pipeline reaches at least 0.70 test accuracy in one epoch on the shipped subset, with MindSpore's lines") {
        val (accuracy, output) = kotlinRun(42)
        accuracy shouldBeGreaterThanOrEqual 0.70
        output shouldContain "Epoch:[  0/  1], step:[  297/  297], loss:["
        output.trim().lines().last() shouldBe "test accuracy: %.4f".format(java.util.Locale.ROOT, accuracy)
    }

    test("the Java sample prints the same numbers as the Kotlin pipeline for the same seed; another seed differs") {
        val (kotlinAccuracy, kotlinOutput) = kotlinRun(5)
        val (javaAccuracy, javaOutput) = javaRun(5)
        javaAccuracy shouldBe kotlinAccuracy
        timings.replace(javaOutput, "time") shouldBe timings.replace(kotlinOutput, "time")
        timings.replace(kotlinRun(6).second, "time") shouldNotBe timings.replace(kotlinOutput, "time")
    }

    test("stopped after one epoch and resumed from its checkpoint, by the other language, the job ends as an unbroken one") {
        val dir = Files.createTempDirectory("lenet-checkpoints")
        val (straight, straightOutput) = kotlinRun(7, epochs = 2)
        kotlinRun(7, epochs = 1, checkpoints = dir)
        val (resumed, resumedOutput) = javaRun(7, epochs = 2, checkpoints = dir)
        resumedOutput shouldContain "resuming from $dir/checkpoint-0000000297.anneal"
        resumed shouldBe straight
        val secondEpoch = { output: String -> timings.replace(output, "time").lines().filter { it.startsWith("Epoch:[  1/  2]") || it.startsWith("epoch 2/2") } }
        secondEpoch(resumedOutput).size shouldBeGreaterThanOrEqual 2
        secondEpoch(resumedOutput) shouldBe secondEpoch(straightOutput)
    }
})
