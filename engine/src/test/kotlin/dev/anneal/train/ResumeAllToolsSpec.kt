package dev.anneal.train

import dev.anneal.state.CheckpointFile
import dev.anneal.state.CheckpointPolicy
import dev.anneal.testing.ChildJvm
import ai.djl.ndarray.NDManager
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.longs.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import kotlin.io.path.createTempDirectory
import kotlin.time.Duration.Companion.minutes

/**
 * Every gradient tool at once, resumed in a fresh JVM: accumulation over 2 batches, a dynamic
 * loss scale that overflows now and then, clipping and an average of the weights. A run that
 * stops at a checkpoint and resumes from it in another JVM ends with the unbroken run's
 * parameters, state tensors (moments and averages), step counter, loss scale and skipped steps,
 * bit for bit. Checkpoints are written only where the gradients are clear, so the position in
 * an accumulation group is always its start; the loop forms the same groups after the resume.
 */
class ResumeAllToolsSpec : FunSpec({
    test("N straight steps equal k steps, a checkpoint, a fresh JVM and the rest, byte for byte") {
        val dir = createTempDirectory("tools-straight")
        val straight = ChildJvm.run(ToolsChild::class.java.name, dir.toString(), timeout = 3.minutes)
        withClue(straight.output) { straight.exitCode shouldBe 0 }
        val checkpoint = CheckpointPolicy.everySteps(dir, ToolsChild.EVERY).fileFor(10)
        val position = NDManager.newBaseManager().use { m ->
            val read = CheckpointFile.read(checkpoint, m)
            val saved = read.optimizers.getValue(TrainingLoop.DEFAULT_OPTIMIZER)
            withClue("the checkpoint holds a run in the middle of things") {
                saved.step shouldBe 10
                saved.skippedSteps shouldBeGreaterThan 0
                saved.tensors.keys.any { it.endsWith("/ema") } shouldBe true
                (read.epoch * ToolsChild.BATCHES + read.batch) shouldBeGreaterThan 0
            }
            "resumed after batch ${read.batch} of epoch ${read.epoch}"
        }
        val resumed = ChildJvm.run(ToolsChild::class.java.name, createTempDirectory("tools-resumed").toString(),
            checkpoint.toString(), timeout = 3.minutes)
        withClue(resumed.output) { resumed.exitCode shouldBe 0 }
        // The resumed run starts where the checkpoint says, not from the beginning.
        resumed.lines.first { it.startsWith("resumed") } shouldBe position
        for (prefix in listOf("final ", "state ", "counters ")) {
            withClue(prefix) { resumed.lines.first { it.startsWith(prefix) } shouldBe straight.lines.first { it.startsWith(prefix) } }
        }
        val counters = straight.lines.first { it.startsWith("counters ") }
        withClue(counters) { Regex("skipped=(\\d+)").find(counters)!!.groupValues[1].toInt() shouldBeGreaterThan 1 }
    }
})
