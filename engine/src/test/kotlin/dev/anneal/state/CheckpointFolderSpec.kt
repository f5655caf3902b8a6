package dev.anneal.state

import ai.djl.ndarray.NDManager
import dev.anneal.config.InvalidConfigException
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.nio.file.Files
import java.nio.file.Path
import java.util.UUID
import kotlin.io.path.createTempDirectory
import kotlin.io.path.isDirectory
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.name

/**
 * A checkpoint folder as runs leave it: `latest` passes over what is damaged or not a regular
 * file, says what and why, and falls back to the newest good checkpoint; a write first removes
 * what killed writes left; pruning never deletes the checkpoint just written, nor anything that is
 * not a regular file.
 */
class CheckpointFolderSpec : FunSpec({
    val m = NDManager.newBaseManager()
    afterSpec { m.close() }

    fun checkpoint(value: Float) = Checkpoint(0, 0, mapOf("w" to m.create(floatArrayOf(value, 2f))), emptyMap(), emptyMap())
    fun name(step: Long) = String.format("checkpoint-%010d.anneal", step)

    /** A folder with good checkpoints of steps 1, 2 and 3. */
    fun folder(): Path {
        val dir = createTempDirectory("checkpoints")
        val policy = CheckpointPolicy.everySteps(dir, 1)
        (1L..3L).forEach { policy.save(it, checkpoint(it.toFloat())) }
        return dir
    }

    fun fifo(f: Path) {
        ProcessBuilder("mkfifo", f.toString()).start().waitFor() shouldBe 0
    }

    fun copyOf3(dir: Path, to: Path, edit: (ByteArray) -> ByteArray) = Files.write(to, edit(Files.readAllBytes(dir.resolve(name(3)))))

    data class Folder(
        val description: String,
        val latest: Long?,
        val skipped: List<Pair<Long, String>>,
        val damage: (Path) -> Unit,
    )

    val rows = listOf(
        Folder("a directory with the newest checkpoint's name", 3, listOf(9L to "it is a directory, not a checkpoint file")) {
            Files.createDirectory(it.resolve(name(9)))
        },
        Folder("a FIFO with the newest name, which would block a reader", 3, listOf(9L to "it is a FIFO, socket or device")) {
            fifo(it.resolve(name(9)))
        },
        Folder("a symbolic link to a good checkpoint", 3, listOf(9L to "it is a symbolic link")) {
            Files.createSymbolicLink(it.resolve(name(9)), it.resolve(name(3)))
        },
        Folder("an empty file", 3, listOf(9L to "checkpoint.file ${"$"}F is 0 bytes, too short")) { Files.write(it.resolve(name(9)), ByteArray(0)) },
        Folder("a write cut short", 3, listOf(9L to "does not end with ANNEALC2")) { dir ->
            copyOf3(dir, dir.resolve(name(9))) { it.copyOf(it.size - 40) }
        },
        Folder("a flipped bit in a tensor", 3, listOf(9L to "checkpoint.parameters[\"w\"] fails its CRC-32 check")) { dir ->
            copyOf3(dir, dir.resolve(name(9))) { b -> b.copyOf().also { it[9] = (it[9].toInt() xor 1).toByte() } }
        },
        Folder("a changed header", 3, listOf(9L to "checkpoint.header fails its CRC-32 check")) { dir ->
            copyOf3(dir, dir.resolve(name(9))) { b -> b.copyOf().also { it[20] = (it[20].toInt() xor 1).toByte() } }
        },
        Folder("a checkpoint of the earlier format", 3, listOf(9L to "earlier Anneal (format ANNEALC1")) { dir ->
            copyOf3(dir, dir.resolve(name(9))) { "ANNEALC1".toByteArray() + it.copyOfRange(8, it.size) }
        },
        Folder("a crafted bfloat16 header with a valid checksum", 3,
            listOf(9L to "dtype must be one of [FLOAT16, FLOAT32, FLOAT64], got \"BFLOAT16\"")) { dir ->
            val parts = CheckpointBytes.of(dir.resolve(name(3)))
            parts.header.getAsJsonArray("parameters")[0].asJsonObject.addProperty("dtype", "BFLOAT16")
            Files.write(dir.resolve(name(9)), parts.bytes())
        },
        Folder("the three newest bad in three ways", 3, listOf(9L to "a directory", 8L to "does not end with", 7L to "a FIFO")) { dir ->
            Files.createDirectory(dir.resolve(name(9)))
            copyOf3(dir, dir.resolve(name(8))) { it.copyOf(100) }
            fifo(dir.resolve(name(7)))
        },
        Folder("the good newest damaged: the one before it", 2, listOf(3L to "does not end with")) { dir ->
            copyOf3(dir, dir.resolve(name(3))) { it.copyOf(it.size - 1) }
        },
        Folder("every one damaged: none", null, listOf(3L to "too short", 2L to "too short", 1L to "too short")) { dir ->
            (1L..3L).forEach { Files.write(dir.resolve(name(it)), ByteArray(3)) }
        },
        Folder("temporary files of killed writes, not checkpoints", 3, emptyList()) { dir ->
            Files.write(dir.resolve(".${name(9)}.${UUID.randomUUID()}.tmp"), ByteArray(100))
        },
        Folder("files of other names", 3, emptyList()) { dir ->
            listOf("notes.txt", "checkpoint-x.anneal", "${name(9)}.bak", "checkpoint-9999999999999999999.anneal")
                .forEach { Files.write(dir.resolve(it), ByteArray(10)) }
        },
    )

    context("latest passes over what it cannot resume from, saying so, to the newest good checkpoint") {
        withData(nameFn = { it.description }, rows) { row ->
            val dir = folder()
            row.damage(dir)
            val latest = CheckpointPolicy.latest(dir)
            latest.file().orElse(null) shouldBe row.latest?.let { dir.resolve(name(it)) }
            latest.skipped().size shouldBe row.skipped.size
            latest.skipped().zip(row.skipped).forEach { (line, expected) ->
                val file = dir.resolve(name(expected.first))
                withClue(line) {
                    line shouldContain "skipped $file: "
                    line shouldContain expected.second.replace("${"$"}F", file.toString())
                }
            }
            // What it returns loads.
            latest.file().ifPresent { CheckpointFile.read(it, m).parameters.values.forEach { a -> a.close() } }
        }
    }

    test("a write removes the temporary files killed writes of this folder left, and nothing else") {
        val dir = folder()
        val leftovers = listOf(".${name(4)}.${UUID.randomUUID()}.tmp", ".${name(7)}.${UUID.randomUUID()}.tmp")
        val others = listOf(".model.anneal.${UUID.randomUUID()}.tmp", ".${name(5)}.not-a-uuid.tmp", "run.log")
        (leftovers + others).forEach { Files.write(dir.resolve(it), ByteArray(5)) }
        val aDirectory = dir.resolve(".${name(6)}.${UUID.randomUUID()}.tmp")
        Files.createDirectory(aDirectory)
        CheckpointPolicy.everySteps(dir, 1).save(4, checkpoint(4f))
        dir.listDirectoryEntries().map { it.name }.sorted() shouldContainExactly
            ((1L..4L).map { name(it) } + others + aDirectory.name).sorted()
    }

    test("pruning keeps the newest, older first to go, and never the one just written nor what is not a regular file") {
        val dir = createTempDirectory("prune")
        val policy = CheckpointPolicy.everySteps(dir, 1).keep(2)
        (1L..4L).forEach { policy.save(it, checkpoint(it.toFloat())) }
        dir.listDirectoryEntries().map { it.name }.sorted() shouldBe listOf(name(3), name(4))

        // Newer names that are not good checkpoints neither count nor go; an old directory stays, with what is in it.
        Files.createDirectory(dir.resolve(name(99)))
        Files.write(dir.resolve(name(99)).resolve("keep.txt"), ByteArray(1))
        Files.write(dir.resolve(name(98)), ByteArray(3))
        Files.createDirectory(dir.resolve(name(1)))
        val one = CheckpointPolicy.everySteps(dir, 1).keep(1)
        one.save(5, checkpoint(5f))
        dir.listDirectoryEntries().map { it.name }.sorted() shouldBe listOf(name(1), name(5), name(98), name(99))
        dir.resolve(name(1)).isDirectory() shouldBe true
        CheckpointPolicy.latest(dir).let {
            it.file().get() shouldBe dir.resolve(name(5))
            it.skipped().size shouldBe 2
        }
    }

    test("a folder that does not exist has no checkpoint, and no complaint") {
        val latest = CheckpointPolicy.latest(createTempDirectory("empty").resolve("never-made"))
        latest.file().isPresent shouldBe false
        latest.skipped().shouldBeEmpty()
    }

    test("a checkpoint file read directly that is not a regular file is refused, not waited on") {
        val dir = createTempDirectory("fifo")
        val pipe = dir.resolve("c.anneal")
        fifo(pipe)
        shouldThrowExactly<InvalidConfigException> { CheckpointFile.read(pipe, m) }.message shouldBe
            "checkpoint.file $pipe is a FIFO, socket or device, not a checkpoint file"
        shouldThrowExactly<InvalidConfigException> { CheckpointFile.verify(pipe) }
    }
})
