package dev.anneal.samples

import dev.anneal.dsl.schedule
import dev.anneal.dsl.timeline
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.ByteArrayOutputStream
import java.io.PrintStream
import javax.imageio.ImageIO

class ScheduleCommandSpec : FunSpec({
    fun run(vararg args: String): Triple<Int, String, String> {
        val out = ByteArrayOutputStream()
        val err = ByteArrayOutputStream()
        val status = ScheduleCommand.run(arrayOf(*args), PrintStream(out, true), PrintStream(err, true))
        return Triple(status, out.toString(), err.toString())
    }

    test("writes the CSV of every step and a PNG with the curve on it") {
        val dir = tempdir()
        val csv = dir.resolve("s.csv")
        val png = dir.resolve("s.png")
        val (status, _, _) = run("warmup(steps = 100) then cosine(steps = 900, peak = 0.1)", "--steps", "1000",
            "--csv", csv.path, "--png", png.path)
        status shouldBe 0
        val expected = schedule { warmup(steps = 100) then cosine(steps = 900, peak = 0.1) }.timeline.toSchedule()
        val lines = csv.readLines()
        lines.first() shouldBe "step,value"
        lines.size shouldBe 1001
        lines.drop(1).forEachIndexed { i, line -> line shouldBe "${i + 1},${expected.at(i + 1L)}" }
        val image = ImageIO.read(png)
        var colored = 0
        for (x in 0 until image.width) for (y in 0 until image.height) {
            val rgb = image.getRGB(x, y) and 0xffffff
            if ((rgb and 0xff) > (rgb shr 16 and 0xff) + 60) colored++ // the blue curve
        }
        colored shouldBeGreaterThan 1000
    }

    test("an invalid schedule fails with the numbers that are wrong") {
        val (status, _, err) = run("cosine(steps = 100, peak = -0.1)", "--steps", "100")
        status shouldBe 2
        err shouldContain "schedule.cosine.peak must be non-negative (>= 0) and finite, got -0.1"
        val (tooShort, _, why) = run("constant(0.1, steps = 10)", "--steps", "100")
        tooShort shouldBe 2
        why shouldContain "schedule lasts 10 steps, but the run is planned for 100"
        val (badSteps, _, stepsWhy) = run("constant(0.1, steps = 10)", "--steps", "ten")
        badSteps shouldBe 2
        stepsWhy shouldContain "--steps must be a whole number from 1 to 9223372036854775807, got \"ten\""
        val (epochs, _, message) = run("cosine(epochs = 3, peak = 0.1)", "--steps", "100")
        epochs shouldBe 2
        message shouldContain "schedule.phase[0] is 3 epochs, but the steps per epoch are not known"
    }
})
