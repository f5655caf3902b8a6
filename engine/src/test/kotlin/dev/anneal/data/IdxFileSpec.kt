package dev.anneal.data

import ai.djl.ndarray.NDManager
import dev.anneal.config.InvalidConfigException
import dev.anneal.support.gzip
import dev.anneal.support.idxBytes
import dev.anneal.support.writeIdx
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.engine.names.WithDataTestName
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.longs.shouldBeLessThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import java.lang.management.ManagementFactory
import java.nio.file.Files
import java.nio.file.Path
import kotlin.experimental.xor
import kotlin.io.path.createTempDirectory
import kotlin.random.Random

/**
 * Every byte of an IDX file is checked before it is trusted: crafted files are refused with an
 * [InvalidConfigException] that names the file, before any memory is taken for what the header
 * claims.
 */
class IdxFileSpec : FunSpec({
    val threads = ManagementFactory.getThreadMXBean() as com.sun.management.ThreadMXBean

    /** Bytes the current thread allocates while [block] runs (the reader runs on this thread). */
    fun allocatedBy(block: () -> Unit): Long {
        val before = threads.currentThreadAllocatedBytes
        block()
        return threads.currentThreadAllocatedBytes - before
    }

    val random = Random(5).nextBytes(1000) // incompressible: gzip stores it as is
    val valid = idxBytes(intArrayOf(1000), random)

    /** A file named [file] holding [bytes] (null: nothing there), refused with [problem]. */
    class Crafted(val name: String, val file: String, val problem: String, val bytes: (Path) -> ByteArray?) : WithDataTestName {
        override fun dataTestName() = name
    }

    context("a crafted IDX file is refused naming the file, before its header's claims cost memory") {
        withData(
            Crafted("an empty file", "empty.idx", "is not an IDX file of unsigned bytes (magic 0x, expected 0x000008nn") { ByteArray(0) },
            Crafted("three bytes", "short.idx", "magic 0x000008,") { byteArrayOf(0, 0, 8) },
            Crafted("a wrong first byte", "magic.idx", "magic 0x01000801,") { valid.copyOf().also { it[0] = 1 } },
            Crafted("signed bytes (type 0x09)", "signed.idx", "magic 0x00000901,") { idxBytes(intArrayOf(2), byteArrayOf(1, 2), type = 9) },
            Crafted("floats (type 0x0d)", "floats.idx", "magic 0x00000d01,") { idxBytes(intArrayOf(1), ByteArray(4), type = 0x0d) },
            Crafted("no dimensions", "nodims.idx", "magic 0x00000800,") { idxBytes(intArrayOf(), ByteArray(0)) },
            Crafted("a header cut inside its dimensions", "cut-header.idx", "is truncated: its header declares 3 dimensions but ends after 1") {
                idxBytes(intArrayOf(5, 5, 5), ByteArray(0)).copyOf(9)
            },
            Crafted("101 bytes declaring 2 GB", "liar.idx",
                "is truncated: its header declares dimensions [2000000000], 2000000000 values, but 93 bytes follow the header") {
                idxBytes(intArrayOf(2_000_000_000), ByteArray(93)).also { it.size shouldBe 101 }
            },
            Crafted("dimensions whose product no array holds", "overflow.idx", "its header declares dimensions [65536, 65536, 1], more values than one array can hold") {
                idxBytes(intArrayOf(65536, 65536, 1), ByteArray(10))
            },
            Crafted("a dimension of 2^32 - 1", "unsigned.idx", "dimensions [4294967295], more values than one array can hold") {
                idxBytes(intArrayOf(-1), ByteArray(10))
            },
            Crafted("one value short", "short-body.idx", "is truncated: its header declares dimensions [10], 10 values, but 9 bytes follow") {
                idxBytes(intArrayOf(10), ByteArray(9))
            },
            Crafted("one value too many", "long-body.idx", "has data past its end: its header declares dimensions [10], 10 values, but 11 bytes follow") {
                idxBytes(intArrayOf(10), ByteArray(11))
            },
            Crafted("plain IDX bytes named .gz", "plain.idx.gz", "is a damaged or truncated gzip file (Not in GZIP format)") { valid },
            Crafted("an empty .gz", "empty.idx.gz", "is a damaged or truncated gzip file") { ByteArray(0) },
            Crafted("gzip cut in the middle", "cut.idx.gz", "is a damaged or truncated gzip file (Unexpected end of ZLIB input stream)") {
                gzip(valid).let { it.copyOf(it.size / 2) }
            },
            Crafted("gzip with a damaged checksum", "crc.idx.gz", "is a damaged or truncated gzip file (Corrupt GZIP trailer)") {
                gzip(valid).also { it[it.size - 6] = it[it.size - 6] xor 0x5a }
            },
            Crafted("gzip with garbage inside its data", "garbage.idx.gz", "is a damaged or truncated gzip file") {
                gzip(valid).also { for (i in 500 until 520) it[i] = 0x55 }
            },
            Crafted("gzip declaring 2^30 values in a few dozen bytes", "bomb.idx.gz", "[1073741824], 1073741824 values, more than a gzip file of") {
                gzip(idxBytes(intArrayOf(1 shl 30), ByteArray(10)))
            },
            Crafted("gzip declaring more than it holds", "short.idx.gz", "is truncated: its header declares dimensions [5000], 5000 values, but it holds 4000") {
                gzip(idxBytes(intArrayOf(5000), ByteArray(4000)))
            },
            Crafted("gzip holding more than it declares", "long.idx.gz", "has data past its end") { gzip(idxBytes(intArrayOf(10), ByteArray(12))) },
            Crafted("gzip of a wrong magic", "magic.idx.gz", "magic 0x00000d01,") { gzip(idxBytes(intArrayOf(2), byteArrayOf(1, 2), type = 0x0d)) },
            Crafted("gzip cut inside the IDX header", "cut-header.idx.gz", "is truncated: its header declares 3 dimensions but ends after 0") {
                gzip(idxBytes(intArrayOf(3, 3, 3), ByteArray(0)).copyOf(6))
            },
            Crafted("gzip of an overflowing header", "overflow.idx.gz", "more values than one array can hold") {
                gzip(idxBytes(intArrayOf(1 shl 16, 1 shl 16), ByteArray(10)))
            },
            Crafted("a folder", "folder.idx", "is not a regular file") { dir -> Files.createDirectory(dir.resolve("folder.idx")); null },
            Crafted("a missing file", "missing.idx", "does not exist") { null },
        ) { case ->
            val dir = createTempDirectory()
            val file = dir.resolve(case.file)
            case.bytes(dir)?.let { Files.write(file, it) }
            lateinit var e: InvalidConfigException
            val allocated = allocatedBy { e = shouldThrowExactly<InvalidConfigException> { IdxDataset.read(file) } }
            e.message shouldBe "$file ${e.violations().single().problem()}"
            e.message shouldContain case.problem
            allocated shouldBeLessThan (16L shl 20)
        }
    }

    test("a well-formed file reads whole, plain or gzip-compressed") {
        val dir = createTempDirectory()
        Files.write(dir.resolve("a.idx"), valid)
        Files.write(dir.resolve("a.idx.gz"), gzip(valid))
        for (name in listOf("a.idx", "a.idx.gz")) {
            val read = IdxDataset.read(dir.resolve(name))
            read.shape().toList() shouldBe listOf(1000L)
            read.data().toList() shouldBe random.toList()
        }
    }

    /** An images file and a labels file (dimensions and values), and how the set is built from them. */
    class FilePair(
        val name: String,
        val problem: String,
        val images: IntArray = intArrayOf(10, 4, 4),
        val labels: IntArray = intArrayOf(10),
        val at: (Path) -> String = { it.resolve("images.idx").toString() },
        val build: (IdxDataset.Builder) -> IdxDataset.Builder = { it.setSampling(2, false) },
    ) : WithDataTestName {
        override fun dataTestName() = name
    }

    context("images and labels that do not make a data set are refused before any array is made") {
        withData(
            FilePair("images of two dimensions", "must hold images (N, H, W) and labels (N), got [10, 16] and [10]",
                images = intArrayOf(10, 16), at = { "${it.resolve("images.idx")} and ${it.resolve("labels.idx")}" }),
            FilePair("labels of two dimensions", "must hold images (N, H, W) and labels (N), got [10, 4, 4] and [10, 1]",
                labels = intArrayOf(10, 1), at = { "${it.resolve("images.idx")} and ${it.resolve("labels.idx")}" }),
            FilePair("ten images and nine labels", "must hold images (N, H, W) and labels (N), got [10, 4, 4] and [9]",
                labels = intArrayOf(9), at = { "${it.resolve("images.idx")} and ${it.resolve("labels.idx")}" }),
            FilePair("no examples", "holds no examples: its header declares dimensions [0, 4, 4]",
                images = intArrayOf(0, 4, 4), labels = intArrayOf(0)),
            FilePair("images of height 0", "holds empty images: its header declares dimensions [10, 0, 4]", images = intArrayOf(10, 0, 4)),
            FilePair("a batch size of 0", "must be at least 1, got 0", at = { "idxDataset.batchSize" }, build = { it.setSampling(0, false) }),
            FilePair("a shuffle in batches of -3", "must be at least 1, got -3", at = { "idxDataset.batchSize" }, build = { it.shuffle(-3, 1) }),
            FilePair("no sampling", "is required: setSampling(batchSize, random) or shuffle(batchSize, seed)",
                at = { "idxDataset.sampling" }, build = { it }),
            FilePair("no images file", "is required: images(path)", at = { "idxDataset.images" }, build = { it.images(null).setSampling(2, false) }),
        ) { case ->
            val dir = createTempDirectory()
            writeIdx(dir.resolve("images.idx"), case.images, ByteArray(case.images.fold(1) { a, b -> a * b }) { 7 })
            writeIdx(dir.resolve("labels.idx"), case.labels, ByteArray(case.labels.fold(1) { a, b -> a * b }) { 1 })
            NDManager.newBaseManager().use { m ->
                val builder = IdxDataset.builder().images(dir.resolve("images.idx")).labels(dir.resolve("labels.idx")).manager(m)
                val e = shouldThrowExactly<InvalidConfigException> { case.build(builder).build() }
                e.message shouldBe "${case.at(dir)} ${case.problem}"
                m.managedArrays.shouldBeEmpty()
            }
        }
    }

    context("Fashion-MNIST's folder is checked for its four files and each file's contents") {
        val files = listOf("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
        withData(
            nameFn = { it.first },
            "a folder without the labels" to { dir: Path -> files.take(3).forEach { Files.write(dir.resolve(it), gzip(valid)) }; "$dir does not hold Fashion-MNIST" },
            "a damaged training-images file" to { dir: Path ->
                files.forEach { Files.write(dir.resolve(it), gzip(valid)) }
                Files.write(dir.resolve(files[0]), gzip(valid).copyOf(30))
                "${dir.resolve(files[0])} is a damaged or truncated gzip file"
            },
        ) { (_, make) ->
            val dir = createTempDirectory()
            val expected = make(dir)
            NDManager.newBaseManager().use { m ->
                shouldThrowExactly<InvalidConfigException> { FashionMnist.load(dir, FashionMnist.Split.TRAIN, m, 32) }
                    .message shouldStartWith expected
            }
        }
    }
})
