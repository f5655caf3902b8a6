package dev.anneal.state

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import com.google.gson.JsonArray
import dev.anneal.config.InvalidConfigException
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path

/**
 * Crafted headers for a checkpoint of one float32 tensor of 2 elements (8 bytes): every type
 * name DJL's [DataType] knows, each with a length of 0 and a huge one, a shape of no elements and
 * a doubled shape. Each header gets a valid checksum, so it reaches the checks behind it.
 */
object CraftedHeaders {
    data class Case(val type: DataType, val variant: String, val shape: LongArray, val length: Long) {
        val id = "${type.name}/$variant"

        /** Whether the header is self-consistent: the shape times the type's size is the length, and that is the file's 8 bytes. */
        val consistent: Boolean
            get() = type in CheckpointFile.TYPES && length == 8L && shape.fold(type.numOfBytes.toLong()) { a, d -> a * d } == 8L
    }

    val cases: List<Case> = DataType.entries.flatMap { type ->
        listOf(
            Case(type, "length 0", longArrayOf(2), 0),
            Case(type, "huge length", longArrayOf(2), 1L shl 40),
            Case(type, "huge shape and length", longArrayOf(1L shl 28, 4), (1L shl 30) * maxOf(type.numOfBytes, 1)),
            Case(type, "no elements, length 0", longArrayOf(0), 0),
            Case(type, "doubled shape", longArrayOf(4), 8),
        )
    }

    /** The good one-tensor file [good] with [case]'s type, shape and length in its header. */
    fun craft(good: Path, case: Case): ByteArray {
        val parts = CheckpointBytes.of(good)
        val entry = parts.header.getAsJsonArray("parameters")[0].asJsonObject
        entry.addProperty("dtype", case.type.name)
        entry.add("shape", JsonArray().also { a -> case.shape.forEach { a.add(it) } })
        entry.addProperty("length", case.length)
        return parts.bytes()
    }
}

/**
 * Run in a child JVM by [CraftedHeaderSpec]: reads every [CraftedHeaders] case, printing
 * `case <id>` before and `refused <id> | <message>`, `accepted <id>` or `unexpected <id> | <error>`
 * after, then `done`. A JVM abort shows as the missing `done` after the last `case` line.
 */
object CraftedHeaderChild {
    @JvmStatic
    fun main(args: Array<String>) {
        val dir = Path.of(args[0])
        NDManager.newBaseManager().use { m ->
            val good = dir.resolve("good.anneal")
            CheckpointFile.write(good, Checkpoint(0, 0, mapOf("w" to m.create(floatArrayOf(1f, 2f))), emptyMap(), emptyMap()))
            val file = dir.resolve("crafted.anneal")
            for (case in CraftedHeaders.cases) {
                println("case ${case.id}")
                System.out.flush()
                Files.write(file, CraftedHeaders.craft(good, case))
                try {
                    CheckpointFile.read(file, m).parameters.values.forEach { it.close() }
                    println("accepted ${case.id}")
                } catch (e: InvalidConfigException) {
                    println("refused ${case.id} | ${e.message!!.replace("\n", " / ")}")
                } catch (t: Throwable) {
                    println("unexpected ${case.id} | $t")
                }
            }
        }
        println("done")
    }
}

/** Run in a child JVM by [CraftedHeaderSpec]: what DJL 0.35.1 does with a bfloat16 tensor on the CPU, which the allow-list is for. */
object Bfloat16Child {
    @JvmStatic
    fun main(args: Array<String>) {
        NDManager.newBaseManager().use { m ->
            println("creating")
            System.out.flush()
            m.create(ByteBuffer.allocateDirect(8), ai.djl.ndarray.types.Shape(4), DataType.BFLOAT16).close()
        }
        println("done")
    }
}
