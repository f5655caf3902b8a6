package dev.anneal.state

import ai.djl.ndarray.NDManager
import dev.anneal.testing.ChildJvm
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import java.io.ByteArrayOutputStream
import java.io.PrintStream
import java.nio.file.Files
import kotlin.io.path.createTempDirectory
import kotlin.io.path.deleteRecursively
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.name
import kotlin.random.Random
import kotlin.time.Duration.Companion.minutes

/**
 * The kill test: a training process ([KillChild]) writing a checkpoint after every step is killed
 * with SIGKILL at random moments, mostly in the middle of a write, and started again each time.
 * After every kill the newest good checkpoint loads and is byte for byte the unbroken run's of
 * the same step; every write removes what killed writes left; the run finally ends with the
 * unbroken run's parameters, bit for bit.
 */
@OptIn(kotlin.io.path.ExperimentalPathApi::class)
class CheckpointKillSpec : FunSpec({
    val main = KillChild::class.java.name
    val steps = KillChild.EPOCHS * KillChild.BATCHES

    fun finalLine(lines: List<String>): String {
        lines shouldContain "done $steps"
        return lines.single { it.startsWith("final ") }
    }

    test("killed at 20 or more random moments, a run resumes from its newest good checkpoint each time and ends bit for bit as an unbroken one") {
        // The unbroken run, here: the children must match this JVM's numbers, bit for bit.
        val reference = createTempDirectory("unbroken")
        val printed = ByteArrayOutputStream()
        KillChild.train(reference, steps, PrintStream(printed, true))
        val unbroken = finalLine(printed.toString().lines())

        val seed = System.nanoTime()
        val random = Random(seed)
        val dir = createTempDirectory("killed")
        var kills = 0
        var midWrite = 0
        NDManager.newBaseManager().use { m ->
            // At least 20 kills, and more (up to 80) until one has landed inside a write: on a quiet
            // machine a write is short, and 20 random moments can all miss it.
            while (kills < 20 || midWrite == 0 && kills < 80) {
                val child = ChildJvm.start(main, dir.toString(), "3")
                withClue("seed $seed") { child.awaitLine(1.minutes) { it == "ready" } shouldNotBe null }
                Thread.sleep(random.nextLong(0, 200))
                val killed = child.process.isAlive
                val result = child.kill()
                withClue("seed $seed, output:\n${result.output}") {
                    result.lines.filter { it.startsWith("skipped") }.shouldBeEmpty()
                    // Each write found no temporary file after it: leftovers of the kill before are gone.
                    result.lines.filter { it.startsWith("checkpointed") && !it.endsWith("temporaries=0") }.shouldBeEmpty()
                }
                if (!killed || "done $steps" in result.lines) {
                    dir.deleteRecursively() // ended before the kill: start the run again
                    Files.createDirectory(dir)
                    continue
                }
                kills++
                if (dir.listDirectoryEntries().any { it.name.endsWith(".tmp") }) midWrite++
                val latest = CheckpointPolicy.latest(dir)
                withClue("seed $seed, kill $kills") {
                    latest.skipped().shouldBeEmpty()
                    // Nothing to load only when killed before its first write.
                    latest.file().ifPresent { file ->
                        Files.readAllBytes(file) shouldBe Files.readAllBytes(reference.resolve(file.fileName))
                        CheckpointFile.read(file, m).parameters.values.forEach { it.close() }
                    }
                }
            }
        }
        println("kill test: $kills kills, $midWrite of them left a temporary file (seed $seed)")
        withClue("seed $seed: no kill landed in a write") { midWrite shouldBeGreaterThan 0 }

        val last = ChildJvm.run(main, dir.toString(), "3", timeout = 2.minutes)
        withClue("seed $seed, output:\n${last.output}") {
            last.exitCode shouldBe 0
            finalLine(last.lines) shouldBe unbroken
            // Three kept, no temporary file left.
            dir.listDirectoryEntries().map { it.name }.sorted() shouldBe
                (steps - 2..steps).map { String.format("checkpoint-%010d.anneal", it) }
        }
    }
})
