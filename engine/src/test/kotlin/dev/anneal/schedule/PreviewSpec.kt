package dev.anneal.schedule

import dev.anneal.config.InvalidConfigException
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.engine.names.WithDataTestName
import io.kotest.matchers.shouldBe
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.createTempDirectory
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.readLines

/**
 * A preview refuses what training refuses (a negative or non-finite value), never writes
 * gigabytes, and writes a file whole or not at all.
 */
class PreviewSpec : FunSpec({
    val lr = Schedule { step -> 0.1 / step }

    /** A schedule worth [value] at step [at] and 0.1 elsewhere. */
    fun bad(at: Long, value: Double) = Schedule { step -> if (step == at) value else 0.1 }

    /** With [folder], `out` is a folder already. */
    class Case(val name: String, val message: String, val folder: Boolean = false, val attempt: (Path) -> Unit) : WithDataTestName {
        override fun dataTestName() = name
    }

    context("refused, naming the schedule, the step or the limit, with no file written or changed") {
        withData(
            Case("a negative value in the CSV", "preview.lr must be non-negative (>= 0) and finite, got -0.1 at step 3") { dir ->
                Preview(mapOf("lr" to bad(3, -0.1)), 10).writeCsv(dir.resolve("out"))
            },
            Case("NaN in the CSV", "preview.momentum must be non-negative (>= 0) and finite, got NaN at step 10") { dir ->
                Preview(mapOf("lr" to lr, "momentum" to bad(10, Double.NaN)), 10).writeCsv(dir.resolve("out"))
            },
            Case("infinity in the plot", "preview.lr must be non-negative (>= 0) and finite, got Infinity at step 1") { dir ->
                Preview(mapOf("lr" to bad(1, Double.POSITIVE_INFINITY)), 10).writePng(dir.resolve("out"))
            },
            Case("a negative value at the last step of the plot", "preview.lr must be non-negative (>= 0) and finite, got -1.0 at step 5000") { dir ->
                Preview(mapOf("lr" to bad(5000, -1.0)), 5000).writePng(dir.resolve("out"))
            },
            Case("a negative value read on its own", "preview.lr must be non-negative (>= 0) and finite, got -2.0 at step 7") {
                Preview(mapOf("lr" to bad(7, -2.0)), 10).values(7)
            },
            Case("10^18 steps, one row each", "preview.steps 1000000000000000000 steps make 1000000000000000000 rows, more than 1000000; write every n-th step with n at least 1000002000005") { dir ->
                Preview(mapOf("lr" to lr), 1_000_000_000_000_000_000).writeCsv(dir.resolve("out"))
            },
            Case("one row too many", "preview.steps 1000001 steps make 1000001 rows, more than 1000000; write every n-th step with n at least 2") { dir ->
                Preview(mapOf("lr" to lr), 1_000_001).writeCsv(dir.resolve("out"))
            },
            Case("every 0 steps", "preview.every must be at least 1, got 0") { dir ->
                Preview(mapOf("lr" to lr), 10).writeCsv(dir.resolve("out"), 0)
            },
            Case("a CSV over a folder", "is a folder; give the name of a file to write", folder = true) { dir ->
                Preview(mapOf("lr" to lr), 10).writeCsv(dir.resolve("out"))
            },
            Case("a plot over a folder", "is a folder; give the name of a file to write", folder = true) { dir ->
                Preview(mapOf("lr" to lr), 10).writePng(dir.resolve("out"))
            },
            Case("no schedule", "preview needs at least one schedule and one step, got 0 schedules and 10 steps") {
                Preview(emptyMap(), 10)
            },
            Case("no step", "preview needs at least one schedule and one step, got 1 schedules and 0 steps") {
                Preview(mapOf("lr" to lr), 0)
            },
        ) { case ->
            val dir = createTempDirectory()
            Files.writeString(dir.resolve("keep.csv"), "an earlier preview\n")
            if (case.folder) Files.createDirectory(dir.resolve("out"))
            val before = dir.listDirectoryEntries().map { it.fileName.toString() }.sorted()
            shouldThrowExactly<InvalidConfigException> { case.attempt(dir) }.message shouldBe
                (if (case.folder) "${dir.resolve("out")} ${case.message}" else case.message)
            dir.listDirectoryEntries().map { it.fileName.toString() }.sorted() shouldBe before
            Files.readString(dir.resolve("keep.csv")) shouldBe "an earlier preview\n"
        }
    }

    test("a refused CSV leaves the file it would have replaced as it was") {
        val dir = createTempDirectory()
        val file = dir.resolve("s.csv")
        Files.writeString(file, "an earlier preview\n")
        shouldThrowExactly<InvalidConfigException> { Preview(mapOf("lr" to bad(700, -1.0)), 1000).writeCsv(file) }
        Files.readString(file) shouldBe "an earlier preview\n"
        dir.listDirectoryEntries() shouldBe listOf(file)
    }

    test("the PNG is XChart's line chart of the values at up to 1,800 steps, the first and the last among them") {
        val dir = createTempDirectory()
        val file = dir.resolve("lr.png")
        Preview(mapOf("lr" to lr), 10_000).writePng(file)
        val image = javax.imageio.ImageIO.read(file.toFile())
        image.width shouldBe dev.anneal.plot.LineChart.WIDTH
        image.height shouldBe dev.anneal.plot.LineChart.HEIGHT
        val steps = (0 until 1800).map { i -> 1 + Math.round(9999 * i.toDouble() / 1799) }
        val expected = dev.anneal.plot.LineChart.of("Over 10000 steps", "step", "lr",
            mapOf("lr" to arrayOf(steps.map { it.toDouble() }.toDoubleArray(), steps.map { lr.at(it) }.toDoubleArray())), false)
        Files.readAllBytes(file).contentEquals(dev.anneal.plot.LineChart.png(expected)) shouldBe true
        dir.listDirectoryEntries() shouldBe listOf(file)
    }

    test("a long run is written every n-th step, with the first and the last") {
        val dir = createTempDirectory()
        val steps = 1_000_000_000_000_000_000
        (Preview.csvRows(steps, Preview.csvEvery(steps)) <= Preview.MAX_CSV_ROWS) shouldBe true
        val every = 10_000_000_000_000
        Preview(mapOf("lr" to lr), steps).writeCsv(dir.resolve("s.csv"), every)
        val lines = dir.resolve("s.csv").readLines()
        lines.size - 1L shouldBe 100_001
        lines.size - 1L shouldBe Preview.csvRows(steps, every)
        lines[1] shouldBe "1,${lr.at(1)}"
        lines[2] shouldBe "${1 + every},${lr.at(1 + every)}"
        lines.last() shouldBe "$steps,${lr.at(steps)}"
        Preview.csvRows(10, 3) shouldBe 4 // 1, 4, 7, 10
        Preview.csvRows(11, 3) shouldBe 5 // 1, 4, 7, 10, 11
    }
})
