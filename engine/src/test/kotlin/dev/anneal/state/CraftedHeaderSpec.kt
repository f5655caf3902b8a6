package dev.anneal.state

import ai.djl.ndarray.types.DataType
import dev.anneal.testing.ChildJvm
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.collections.shouldNotContain
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldNotContain
import kotlin.io.path.createTempDirectory

/**
 * Crafted checkpoint headers read in a child JVM, where a native abort would end the child and not
 * the test run: every type name DJL knows, lengths 0 and huge, no elements and a doubled shape.
 * Each is refused with the field's path, or read when it describes exactly the file's bytes in a
 * type checkpoints hold, and the child ends normally.
 */
class CraftedHeaderSpec : FunSpec({
    test("every crafted type, length and shape is a clear error, and the child JVM lives on") {
        val result = ChildJvm.run(CraftedHeaderChild::class.java.name, createTempDirectory("crafted").toString())
        val lastCase = result.lines.lastOrNull { it.startsWith("case ") }
        withClue("the child ended with ${result.exitCode} after $lastCase:\n${result.output}") {
            result.exitCode shouldBe 0
            result.lines shouldContain "done"
        }
        result.output shouldNotContain "\tat " // no stack trace, caught or not
        CraftedHeaders.cases.size shouldBe DataType.entries.size * 5
        for (case in CraftedHeaders.cases) {
            withClue(case.id) {
                val outcome = result.lines.single { line ->
                    listOf("refused ${case.id} |", "accepted ${case.id}", "unexpected ${case.id} |").any { line.startsWith(it) }
                }
                when {
                    case.consistent -> outcome shouldBe "accepted ${case.id}"
                    case.type !in CheckpointFile.TYPES -> outcome shouldContain
                        "checkpoint.header.parameters[0].dtype must be one of [FLOAT16, FLOAT32, FLOAT64], got \"${case.type.name}\""
                    else -> outcome shouldContain Regex("""checkpoint\.header(\.parameters\[0]\.length must be| places its tensors up to byte 8)""")
                }
            }
        }
        // The one case read is a float16 tensor of 4 elements over the file's 8 bytes.
        CraftedHeaders.cases.filter { it.consistent }.map { it.id } shouldBe listOf("FLOAT16/doubled shape")
    }

    test("the child JVM is needed: DJL 0.35.1 aborts the JVM creating a bfloat16 tensor on the CPU, which is why none reaches it") {
        val result = ChildJvm.run(Bfloat16Child::class.java.name)
        withClue(result.output) {
            result.lines shouldContain "creating"
            result.lines shouldNotContain "done"
            result.exitCode shouldNotBe 0
        }
    }
})
