package dev.anneal.state

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.dataset.ArrayDataset
import com.google.gson.JsonArray
import com.google.gson.JsonObject
import com.google.gson.JsonPrimitive
import com.google.gson.internal.LazilyParsedNumber
import dev.anneal.config.InvalidConfigException
import dev.anneal.optim.Optimizer
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Plateau
import dev.anneal.schedule.Precomputed
import dev.anneal.support.GradientGenerator
import dev.anneal.support.awayFromZero
import dev.anneal.support.backward
import dev.anneal.support.bits
import dev.anneal.train.TrainingLoop
import dev.anneal.train.TrainingResult
import dev.anneal.train.loss.Losses
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.collections.shouldHaveAtLeastSize
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldNotContain
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.createTempDirectory

/** Where the table's paths point. */
private const val H = "checkpoint.header"
private const val P0 = "$H.parameters[0]"
private const val O = "$H.optimizers[\"default\"]"
private const val PLATEAU = "default.default.lr#0"
private const val PL = "$H.plateaus[\"$PLATEAU\"]"
private const val FILE = "checkpoint.file"
private const val W = "01Linear_weight"

private val JsonObject.parameters: JsonArray get() = getAsJsonArray("parameters")
private val JsonObject.p0: JsonObject get() = parameters[0].asJsonObject
private val JsonObject.opt: JsonObject get() = getAsJsonObject("optimizers").getAsJsonObject("default")
private val JsonObject.plateau: JsonObject get() = getAsJsonObject("plateaus").getAsJsonObject(PLATEAU)

/** A number as written, `1e30` or `4.0`, which Gson would otherwise print in its own way. */
private fun num(text: String) = JsonPrimitive(LazilyParsedNumber(text))

private fun shape(vararg dims: Long) = JsonArray().also { a -> dims.forEach { a.add(it) } }

/**
 * Bad checkpoints, one per row: damaged and crafted files, headers and values, each resumed by a
 * training loop over a model and an optimizer that already hold other values. Every row throws
 * [InvalidConfigException], names the file first, reports the expected path with the expected
 * words, and leaves the parameters, the optimizer's moments and counters and the plateau's state
 * bit for bit as they were. Crafted headers get a valid checksum ([CheckpointBytes]), as an
 * attacker's would, so they reach the checks behind it.
 */
class CheckpointBadInputSpec : FunSpec({
    val m = NDManager.newBaseManager()
    afterSpec { m.close() }
    val dir = createTempDirectory("bad-checkpoints")

    // 64 samples, batches of 16: 4 batches an epoch, 2 epochs.
    val x = m.create(GradientGenerator.values(9, 0, 0, 64 * 4, 1.0), Shape(64, 4))
    val y = m.create(FloatArray(64) { (it % 3).toFloat() })

    /** A linear layer and Adam (amsgrad), its lr a plateau over a 50-step list, after [steps] steps and the metrics [observed]. */
    class Run(seed: Long, steps: Int, observed: List<Double>) : AutoCloseable {
        val block: SequentialBlock = SequentialBlock().add(Linear.builder().setUnits(3).build())
        val plateau = Plateau(Precomputed.of(List(50) { 0.01 }), Plateau.Mode.MAX, 0.5, 0, 0.0, Plateau.ThresholdMode.ABS, 0, 0.0, 0.0)
        val optimizer: Optimizer<*>

        init {
            block.initialize(m, DataType.FLOAT32, Shape(16, 4))
            block.parameters.values().forEachIndexed { i, p ->
                m.create(GradientGenerator.values(seed, 0, i, p.array.shape.size().toInt(), 0.5), p.array.shape).copyTo(p.array)
            }
            optimizer = Optimizers.adam().lr(plateau).amsgrad(true).build().compile(ParameterSet.of(block))
            repeat(steps) { step ->
                optimizer.zeroGrad()
                backward(m, block.parameters.values().mapIndexed { i, p ->
                    p.array to awayFromZero(seed, step.toLong(), i, p.array.shape.size().toInt())
                }.toMap())
                optimizer.step()
            }
            observed.forEachIndexed { i, metric -> plateau.observe(metric, i + 1L) }
        }

        fun resume(file: Path): TrainingResult = TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy())
            .optimizer(optimizer).train(ArrayDataset.Builder().setData(x).optLabels(y).setSampling(16, false).build())
            .epochs(2).manager(m).resumeFrom(file).build().run()

        fun checkpoint(epoch: Int, batch: Long) = Checkpoint.capture(epoch, batch, ParameterSet.of(block), mapOf("default" to optimizer))

        /** Everything a restore could change, as bits. */
        fun snapshot(): Map<String, Any> {
            val state = optimizer.state()
            return mapOf(
                "parameters" to block.parameters.associate { it.key to it.value.array.toFloatArray().bits() },
                "tensors" to state.tensors.mapValues { it.value.toFloatArray().bits() },
                "updates" to state.updates,
                "step" to optimizer.stepCount(),
                "plateau" to plateau.state().mapValues { it.value.toRawBits() },
            )
        }

        override fun close() = optimizer.close()
    }

    val good = dir.resolve("good.anneal")
    Run(seed = 1, steps = 3, observed = listOf(0.5, 0.4)).use { CheckpointFile.write(good, it.checkpoint(0, 3)) }

    fun parts() = CheckpointBytes.of(good)
    fun header(edit: JsonObject.() -> Unit): (Path) -> Unit = { f -> parts().also { it.header.edit() }.let { Files.write(f, it.bytes()) } }
    fun text(edit: (String) -> String): (Path) -> Unit = { f -> parts().let { Files.write(f, it.bytes(edit(it.header.toString()))) } }
    fun file(edit: (ByteArray) -> ByteArray): (Path) -> Unit = { f -> Files.write(f, edit(Files.readAllBytes(good))) }
    fun withHeaderOffset(offset: (Long) -> Long) = file { b ->
        val trailer = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN)
        b.copyOf().also { ByteBuffer.wrap(it).order(ByteOrder.LITTLE_ENDIAN).putLong(b.size - 24, offset(trailer.getLong(b.size - 24))) }
    }
    fun flipped(at: (CheckpointBytes) -> Int) = file { b -> b.copyOf().also { val i = at(parts()); it[i] = (it[i].toInt() xor 0x10).toByte() } }
    fun fifo(f: Path) {
        ProcessBuilder("mkfifo", f.toString()).start().waitFor() shouldBe 0
    }

    data class Bad(val description: String, val path: String, val words: String, val make: (Path) -> Unit)

    val rows = listOf(
        // The file itself: never a checkpoint, cut short, damaged, not a regular file.
        Bad("an empty file", FILE, "is 0 bytes, too short for a checkpoint") { Files.write(it, ByteArray(0)) },
        Bad("ten bytes", FILE, "too short for a checkpoint") { Files.write(it, ByteArray(10) { 65 }) },
        Bad("a text file", FILE, "does not start with ANNEALC2 (not an Anneal checkpoint)") { Files.writeString(it, "x".repeat(200)) },
        Bad("a checkpoint of the format before the header checksum", FILE, "earlier Anneal (format ANNEALC1",
            file { b -> "ANNEALC1".toByteArray() + b.copyOfRange(8, b.size) }),
        Bad("cut short by one byte", FILE, "does not end with ANNEALC2 (cut short, or damaged)", file { it.copyOf(it.size - 1) }),
        Bad("cut in half", FILE, "does not end with ANNEALC2", file { it.copyOf(it.size / 2) }),
        Bad("bytes appended", FILE, "does not end with ANNEALC2", file { it + ByteArray(5) }),
        Bad("a header offset past the file", FILE, "gives its header offset as", withHeaderOffset { 1L shl 40 }),
        Bad("a negative header offset", FILE, "gives its header offset as -5, outside", withHeaderOffset { -5 }),
        Bad("a header offset inside the magic", FILE, "gives its header offset as 0", withHeaderOffset { 0 }),
        Bad("a header offset one byte late", H, "fails its CRC-32 check (changed or damaged)", withHeaderOffset { it + 1 }),
        Bad("the header's checksum changed", H, "fails its CRC-32 check", file { b ->
            b.copyOf().also { it[b.size - 16] = (it[b.size - 16] + 1).toByte() }
        }),
        Bad("a header byte changed, its checksum not", H, "fails its CRC-32 check", flipped { it.data.size + 3 }),
        Bad("a parameter's byte flipped", "checkpoint.parameters[\"$W\"]", "fails its CRC-32 check (its bytes in the file are damaged)",
            flipped { 8 + 5 }),
        Bad("an optimizer tensor's byte flipped", "checkpoint.optimizers[\"default\"].tensors[\"$W/exp_avg_sq\"]", "fails its CRC-32 check",
            flipped { p -> p.header.opt.getAsJsonArray("tensors")[1].asJsonObject["offset"].asInt + 2 }),
        Bad("a directory", FILE, "is a directory, not a checkpoint file") { Files.createDirectory(it) },
        Bad("no file", FILE, "does not exist") { },
        Bad("a FIFO, which would block a reader forever", FILE, "is a FIFO, socket or device") { fifo(it) },
        Bad("a dangling symbolic link", FILE, "does not exist") { Files.createSymbolicLink(it, dir.resolve("nowhere")) },
        Bad("a symbolic link to a FIFO", FILE, "is a FIFO, socket or device") { f ->
            val target = dir.resolve("${f.fileName}.fifo")
            fifo(target)
            Files.createSymbolicLink(f, target)
        },

        // The header's syntax: strict JSON, UTF-8, one value.
        Bad("a header that is not JSON", H, "is not strict JSON", text { "{" }),
        Bad("a header that is an array", H, "must be a JSON object, got an array", text { "[]" }),
        Bad("a key given twice, the second to win in a lenient reader", H, "key \"epoch\" appears twice",
            text { it.replaceFirst("{", "{\"epoch\":1,") }),
        Bad("single quotes", H, "is not strict JSON", text { it.replace("\"format\"", "'format'") }),
        Bad("a comment", H, "is not strict JSON", text { it.replaceFirst("{", "{/* resume here */") }),
        Bad("a NaN literal", H, "is not strict JSON", text { it.replace("\"epoch\":0", "\"epoch\":NaN") }),
        Bad("text after the header", H, "is not strict JSON", text { "$it {}" }),
        Bad("bytes that are not UTF-8", H, "is not UTF-8 text") { f ->
            val p = parts()
            val h = p.header.toString().toByteArray().let { it.copyOf(20) + byteArrayOf(0xC3.toByte(), 0x28) + it.copyOfRange(20, it.size) }
            Files.write(f, CheckpointBytes.bytes(p.data, h, CheckpointBytes.crc(h)))
        },
        Bad("nesting deeper than a header's", H, "is not strict JSON",
            text { it.replaceFirst("{", "{\"deep\":" + "[".repeat(40) + "]".repeat(40) + ",") }),

        // Which format: checked first, as the rest means nothing in another.
        Bad("another format", "$H.format", "must be \"anneal-checkpoint\", got \"safetensors\"",
            header { addProperty("format", "safetensors") }),
        Bad("no format", "$H.format", "is missing", header { remove("format") }),
        Bad("version 2, before loss scaling was saved", "$H.version", "is 2; this Anneal reads version 3",
            header { addProperty("version", 2) }),
        Bad("version 4", "$H.version", "is 4; this Anneal reads version 3", header { addProperty("version", 4) }),
        Bad("the version as a string", "$H.version", "must be an integer, got \"3\"", header { addProperty("version", "3") }),
        Bad("big-endian bytes", "$H.byteOrder", "is \"BIG_ENDIAN\"; this machine is LITTLE_ENDIAN",
            header { addProperty("byteOrder", "BIG_ENDIAN") }),

        // The loop's position.
        Bad("a field no checkpoint has", "$H.extra", "is not a field here", header { addProperty("extra", 1) }),
        Bad("a negative epoch", "$H.epoch", "must be at least 0, got -1", header { addProperty("epoch", -1) }),
        Bad("a fractional epoch", "$H.epoch", "must be an integer, got 1.5", header { addProperty("epoch", 1.5) }),
        Bad("an epoch of 1e30", "$H.epoch", "must be an integer, got 1e30", header { add("epoch", num("1e30")) }),
        Bad("an epoch of 1e0, whole but not written as an integer", "$H.epoch", "must be an integer, got 1e0",
            header { add("epoch", num("1e0")) }),
        Bad("an epoch beyond an int", "$H.epoch", "must be at most 2147483647, got 2147483648", header { addProperty("epoch", 1L shl 31) }),
        Bad("the epoch as a string", "$H.epoch", "must be an integer, got \"1\"", header { addProperty("epoch", "1") }),
        Bad("a null epoch", "$H.epoch", "must not be null", text { it.replace("\"epoch\":0", "\"epoch\":null") }),
        Bad("a negative batch", "$H.batch", "must be at least 0, got -3", header { addProperty("batch", -3) }),
        Bad("a batch beyond a long", "$H.batch", "must be an integer in [0, 9223372036854775807], got 99999999999999999999",
            header { add("batch", num("99999999999999999999")) }),
        Bad("an epoch past the run's", "$H.epoch", "is 3, past this run's 2 epochs", header { addProperty("epoch", 3) }),
        Bad("a batch after the run's last epoch", "$H.batch", "is 1 in epoch 2, after this run's last epoch",
            header { addProperty("epoch", 2); addProperty("batch", 1) }),
        Bad("a batch beyond the epoch's batches", "$H.batch", "is 9, but epoch 0 has only 4 batches", header { addProperty("batch", 9) }),

        // The optimizer's counters and rule.
        Bad("a negative step", "$O.step", "must be at least 0, got -3", header { opt.addProperty("step", -3) }),
        Bad("a fractional step", "$O.step", "must be an integer, got 2.5", header { opt.addProperty("step", 2.5) }),
        Bad("a step that is true", "$O.step", "must be an integer, got true", header { opt.addProperty("step", true) }),
        Bad("a step past the schedule's 50 steps", "checkpoint.optimizers[\"default\"].step", "is 60, past the 50 steps",
            header { opt.addProperty("step", 60) }),
        Bad("a negative update count", "$O.updates[\"$W\"]", "must be at least 0, got -1",
            header { opt.getAsJsonObject("updates").addProperty(W, -1) }),
        Bad("more updates than steps", "$O.updates[\"$W\"]", "must be at most 3, got 4",
            header { opt.getAsJsonObject("updates").addProperty(W, 4) }),
        Bad("updates that are not an object", "$O.updates", "must be a JSON object, got an array",
            header { opt.add("updates", JsonArray()) }),
        Bad("an update count for a parameter the optimizer lacks", "checkpoint.optimizers[\"default\"].parameters", "are",
            header { opt.getAsJsonObject("updates").addProperty("ghost", 0) }),
        Bad("a negative count of skipped steps", "$O.skippedSteps", "must be at least 0, got -1",
            header { opt.addProperty("skippedSteps", -1) }),
        Bad("no loss scale", "$O.lossScale", "is missing", header { opt.remove("lossScale") }),
        Bad("a loss scale as a JSON number", "$O.lossScale", "must be a number as a string", header { opt.addProperty("lossScale", 1.0) }),
        Bad("a zero loss scale", "$O.lossScale", "must be a positive, finite float32 value, got 0.0",
            header { opt.addProperty("lossScale", "0.0") }),
        Bad("an infinite loss scale", "$O.lossScale", "must be a positive, finite float32 value, got Infinity",
            header { opt.addProperty("lossScale", "Infinity") }),
        Bad("a loss scale that is no float32", "$O.lossScale", "must be a positive, finite float32 value, got 0.1",
            header { opt.addProperty("lossScale", "0.1") }),
        Bad("a loss scale where the run scales nothing", "checkpoint.optimizers[\"default\"].lossScale",
            "is 2.0, but this run's scale is fixed at 1.0", header { opt.addProperty("lossScale", "2.0") }),
        Bad("good steps past the growth interval", "checkpoint.optimizers[\"default\"].goodSteps",
            "must be in [0, 1) (the growth interval), got 5", header { opt.addProperty("goodSteps", 5) }),
        Bad("an empty rule", "$O.rule", "must be a non-empty string, got \"\"", header { opt.addProperty("rule", "") }),
        Bad("another optimizer's rule", "checkpoint.optimizers[\"default\"].optimizer", "is sgd, expected adam",
            header { opt.addProperty("rule", "sgd") }),
        Bad("a field no optimizer has", "$O.extra", "is not a field here", header { opt.addProperty("extra", 0) }),
        Bad("no optimizers", "$H.optimizers", "is missing", header { remove("optimizers") }),
        Bad("the optimizer under another name", "checkpoint.optimizers", "lack [\"default\"], which the run has, and have [\"other\"]",
            header { getAsJsonObject("optimizers").let { it.add("other", it.remove("default")) } }),
        Bad("an optimizer the run has not", "checkpoint.optimizers", "have [\"other\"], which the run has not", header {
            getAsJsonObject("optimizers").add("other", JsonObject().apply {
                addProperty("rule", "adam"); addProperty("step", 0); addProperty("skippedSteps", 0)
                addProperty("lossScale", "1.0"); addProperty("goodSteps", 0); add("updates", JsonObject()); add("tensors", JsonArray())
            })
        }),
        Bad("an optimizer's tensor renamed", "checkpoint.optimizers[\"default\"].tensors", "are",
            header { opt.getAsJsonArray("tensors")[0].asJsonObject.addProperty("name", "$W/momentum") }),

        // Tensor types: only what Anneal writes reaches DJL.
        Bad("bfloat16 with a doubled shape, as many bytes", "$P0.dtype", "must be one of [FLOAT16, FLOAT32, FLOAT64], got \"BFLOAT16\" (DJL 0.35.1 aborts",
            header { p0.addProperty("dtype", "BFLOAT16"); p0.add("shape", shape(6, 4)) }),
        Bad("an UNKNOWN type of length 0", "$P0.dtype", "got \"UNKNOWN\"",
            header { p0.addProperty("dtype", "UNKNOWN"); p0.addProperty("length", 0) }),
        Bad("a STRING type", "$P0.dtype", "got \"STRING\"", header { p0.addProperty("dtype", "STRING") }),
        Bad("an int32 type, as many bytes", "$P0.dtype", "got \"INT32\"", header { p0.addProperty("dtype", "INT32") }),
        Bad("a type in lower case", "$P0.dtype", "got \"float32\"", header { p0.addProperty("dtype", "float32") }),
        Bad("a type that is a number", "$P0.dtype", "must be a non-empty string, got 7", header { p0.addProperty("dtype", 7) }),
        Bad("float64 over the same bytes, half the elements", "checkpoint.parameters[\"$W\"]", "is float64 (3, 2), the model has float32 (3, 4)",
            header { p0.addProperty("dtype", "FLOAT64"); p0.add("shape", shape(3, 2)) }),
        Bad("float16 over the same bytes, twice the elements", "checkpoint.parameters[\"$W\"]", "is float16 (6, 4), the model has float32 (3, 4)",
            header { p0.addProperty("dtype", "FLOAT16"); p0.add("shape", shape(6, 4)) }),

        // Shapes and lengths: they must multiply out to exactly the bytes given.
        Bad("a negative dimension", "$P0.shape[0]", "must be at least 0, got -3", header { p0.add("shape", shape(-3, 4)) }),
        Bad("a doubled shape over the same bytes", "$P0.length", "must be 96 bytes for a float32 tensor of shape (6, 4), got 48",
            header { p0.add("shape", shape(6, 4)) }),
        Bad("an empty shape over 48 bytes", "$P0.length", "must be 0 bytes for a float32 tensor of shape (0, 4), got 48",
            header { p0.add("shape", shape(0, 4)) }),
        Bad("forty dimensions", "$P0.shape", "has 40 dimensions; a checkpoint tensor has at most 32",
            header { p0.add("shape", shape(*LongArray(40) { 1 })) }),
        Bad("more elements than a long counts", "$P0.shape", "more float32 bytes than a long can count",
            header { p0.add("shape", shape(1L shl 62, 4)) }),
        Bad("a shape that is not an array", "$P0.shape", "must be a JSON array, got \"(3, 4)\"",
            header { p0.addProperty("shape", "(3, 4)") }),
        Bad("a dimension of 4.0", "$P0.shape[1]", "must be an integer, got 4.0",
            header { p0.add("shape", JsonArray().apply { add(3); add(num("4.0")) }) }),
        Bad("a length of 0", "$P0.length", "must be 48 bytes for a float32 tensor of shape (3, 4), got 0",
            header { p0.addProperty("length", 0) }),
        Bad("a length of a terabyte", "$P0.length", "must be at most 2147483647, got 1099511627776",
            header { p0.addProperty("length", 1L shl 40) }),
        Bad("a negative length", "$P0.length", "must be at least 0, got -1", header { p0.addProperty("length", -1) }),
        Bad("a tensor running past the data", "$O.tensors[5].length", "past the end of the tensor data", header {
            opt.getAsJsonArray("tensors")[5].asJsonObject.let { it.add("shape", shape(6, 4)); it.addProperty("length", 96) }
        }),
        Bad("an offset one byte late", "$P0.offset", "must be 8, where the tensor data starts, got 9",
            header { p0.addProperty("offset", 9) }),
        Bad("a negative offset", "$P0.offset", "must be at least 0, got -8", header { p0.addProperty("offset", -8) }),
        Bad("a tensor over the one before", "$H.parameters[1].offset", "must be 56, where the tensor before ends, got 8",
            header { parameters[1].asJsonObject.addProperty("offset", 8) }),
        Bad("a tensor left out, its bytes still there", H, "(bytes unaccounted for)", header { opt.getAsJsonArray("tensors").remove(5) }),
        Bad("a negative CRC-32", "$P0.crc32", "must be at least 0, got -1", header { p0.addProperty("crc32", -1) }),
        Bad("a CRC-32 wider than 32 bits", "$P0.crc32", "must be at most 4294967295", header { p0.addProperty("crc32", 1L shl 32) }),
        Bad("another tensor's CRC-32", "checkpoint.parameters[\"$W\"]", "fails its CRC-32 check",
            header { p0.add("crc32", parameters[1].asJsonObject["crc32"]) }),

        // Names.
        Bad("a parameter twice", "$H.parameters[1].name", "\"$W\" appears twice",
            header { parameters[1].asJsonObject.addProperty("name", W) }),
        Bad("a tensor without a name", "$P0.name", "is missing", header { p0.remove("name") }),
        Bad("an empty name", "$P0.name", "must be a non-empty string", header { p0.addProperty("name", "") }),
        Bad("a parameter under another name", "checkpoint.parameters", "lack [\"$W\"], which the model has, and have [\"renamed\"]",
            header { p0.addProperty("name", "renamed") }),
        Bad("a name with a line break, which must not forge a log line", "checkpoint.parameters", "have [\"a\\nforged line\"]",
            header { p0.addProperty("name", "a\nforged line") }),
        Bad("a field no tensor entry has", "$P0.extra", "is not a field here", header { p0.addProperty("extra", "x") }),

        // The plateau's state: the last part of the header.
        Bad("a plateau scale of 0", "$PL.scale", "must be in (0.0, 1.0], got 0.0", header { plateau.addProperty("scale", "0.0") }),
        Bad("a plateau scale above 1", "$PL.scale", "must be in (0.0, 1.0], got 1.5", header { plateau.addProperty("scale", "1.5") }),
        Bad("a NaN best", "$PL.best", "must be a number, got NaN", header { plateau.addProperty("best", "NaN") }),
        Bad("negative bad evaluations", "$PL.badEvaluations", "must be a whole number >= 0, got -1.0",
            header { plateau.addProperty("badEvaluations", "-1.0") }),
        Bad("a fractional cooldown", "$PL.cooldownLeft", "must be a whole number >= 0, got 1.5",
            header { plateau.addProperty("cooldownLeft", "1.5") }),
        Bad("a scale in hexadecimal", "$PL.scale", "must be a number as a string (\"0.5\", \"Infinity\"), got \"0x1p-1\"",
            header { plateau.addProperty("scale", "0x1p-1") }),
        Bad("a scale with a blank", "$PL.scale", "got \" 0.5\"", header { plateau.addProperty("scale", " 0.5") }),
        Bad("a scale with a type suffix", "$PL.scale", "got \"0.5d\"", header { plateau.addProperty("scale", "0.5d") }),
        Bad("a scale as a JSON number", "$PL.scale", "must be a number as a string", header { plateau.addProperty("scale", 0.5) }),
        Bad("a part of the state missing", "$PL.cooldownLeft", "is missing", header { plateau.remove("cooldownLeft") }),
        Bad("a part no plateau has", "$PL.momentum", "is not a field here", header { plateau.addProperty("momentum", "0.9") }),
        Bad("the plateau under another key", "checkpoint.plateaus", "lack [\"$PLATEAU\"], which the run has",
            header { getAsJsonObject("plateaus").let { it.add("default.default.lr#1", it.remove(PLATEAU)) } }),
        Bad("no plateaus", "$H.plateaus", "is missing", header { remove("plateaus") }),
        Bad("plateaus that are a string", "$H.plateaus", "must be a JSON object, got \"none\"", header { addProperty("plateaus", "none") }),
    )

    test("the table has a row for every kind of bad checkpoint") {
        rows shouldHaveAtLeastSize 60
        rows.map { it.description }.toSet().size shouldBe rows.size
    }

    context("a bad checkpoint is refused by path, and nothing changes") {
        withData(nameFn = { it.description }, rows) { row ->
            val file = dir.resolve("row-${rows.indexOf(row)}.anneal")
            row.make(file)
            Run(seed = 2, steps = 2, observed = listOf(0.3)).use { target ->
                val before = target.snapshot()
                val e = shouldThrowExactly<InvalidConfigException> { target.resume(file) }
                e.violations().first().path() shouldBe "trainingLoop.resumeFrom"
                e.violations().first().problem() shouldContain file.toString()
                withClue(e.message) {
                    e.violations().map { it.path() } shouldContain row.path
                    e.violations().filter { it.path() == row.path }.joinToString { it.problem() } shouldContain row.words
                }
                e.violations().forEach { it.problem() shouldNotContain "\n" }
                target.snapshot() shouldBe before
            }
        }
    }

    test("the good file the rows start from resumes, and the snapshot sees that it did") {
        val source = Run(seed = 1, steps = 3, observed = listOf(0.5, 0.4)).use { it.snapshot() }
        Run(seed = 2, steps = 2, observed = listOf(0.3)).use { target ->
            val before = target.snapshot()
            before shouldNotBe source
            // Stopped at once, so that what is compared is the restored state, not a trained one.
            TrainingLoop.builder().block(target.block).loss(Losses.softmaxCrossEntropy()).optimizer(target.optimizer)
                .train(ArrayDataset.Builder().setData(x).optLabels(y).setSampling(16, false).build())
                .epochs(2).manager(m).resumeFrom(good).cancelled { true }.build().run().stopReason shouldBe "cancelled"
            target.snapshot() shouldBe source
        }
    }

    test("a plateau state refused after the parameters and the optimizer passed changes nothing (restore in memory)") {
        Run(seed = 2, steps = 2, observed = listOf(0.3)).use { target ->
            val saved = CheckpointFile.read(good, m)
            val bad = Checkpoint(saved.epoch, saved.batch, saved.parameters, saved.optimizers,
                mapOf(PLATEAU to saved.plateaus.getValue(PLATEAU) + ("scale" to 0.0)))
            val before = target.snapshot()
            val e = shouldThrowExactly<InvalidConfigException> {
                bad.restore(ParameterSet.of(target.block), mapOf("default" to target.optimizer))
            }
            e.violations().map { it.path() } shouldBe listOf("checkpoint.plateaus[\"$PLATEAU\"].scale")
            target.snapshot() shouldBe before
            // The same checkpoint with the plateau's own state is taken whole.
            saved.restore(ParameterSet.of(target.block), mapOf("default" to target.optimizer))
            target.snapshot() shouldNotBe before
        }
    }

    test("a tensor of a type a checkpoint cannot hold is refused before any file is made") {
        val ints = Checkpoint(0, 0, mapOf("counts" to m.create(intArrayOf(1, 2))), emptyMap(), emptyMap())
        val target = dir.resolve("never.anneal")
        shouldThrowExactly<InvalidConfigException> { CheckpointFile.write(target, ints) }
            .message shouldBe "checkpoint.parameters[\"counts\"] is int32; a checkpoint holds [float16, float32, float64] tensors only"
        Files.list(dir).use { files -> files.filter { it.fileName.toString().contains("never") }.count() } shouldBe 0
    }
})
