package dev.anneal.samples

import ai.djl.ndarray.types.DataType
import dev.anneal.grad.LossScale
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.engine.names.WithDataTestName
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.ints.shouldBeLessThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldBeEmpty
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldNotContain
import io.kotest.matchers.string.shouldStartWith
import java.io.ByteArrayOutputStream
import java.io.PrintStream
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit
import java.util.zip.GZIPOutputStream
import kotlin.io.path.createTempDirectory

/**
 * The command line as a user gets it wrong: every mistake prints exactly one line on stderr,
 * naming the option (or argument) and what is allowed, with no stack trace, and exits with 2,
 * before any training. `--help` lists every option and exits with 0.
 */
class CommandLineSpec : FunSpec({
    val dir = createTempDirectory("anneal-cli")
    val file = Files.writeString(dir.resolve("a-file"), "not a folder")
    val empty = Files.createDirectory(dir.resolve("empty"))
    val damaged = Files.createDirectory(dir.resolve("damaged")).also { d ->
        listOf("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
            .forEach { Files.write(d.resolve(it), gzipped(ByteArray(100))) }
        Files.write(d.resolve("train-images-idx3-ubyte.gz"), byteArrayOf(0x1f, 0x8b.toByte(), 8, 0, 1, 2, 3))
    }
    val schedule = "constant(0.1, steps = 10)"
    val huge = "9".repeat(120_000)

    /**
     * [args] refused with one line that contains [names], or is [names] when that starts with
     * `anneal:`; [child]: also run in a child JVM through the real `main`.
     */
    class Mistake(val name: String, val names: String, val child: Boolean = false, vararg val args: String) : WithDataTestName {
        override fun dataTestName() = name
    }

    /** Runs [args] through Main's entry, as `main` does, with the streams captured. */
    fun run(vararg args: String): Triple<Int, String, String> {
        val out = ByteArrayOutputStream()
        val err = ByteArrayOutputStream()
        val status = Main.run(arrayOf(*args), PrintStream(out, true), PrintStream(err, true))
        return Triple(status, out.toString(), err.toString())
    }

    /** Runs [args] through `java -cp ... dev.anneal.samples.Main`, as the launcher does. */
    fun runChild(vararg args: String): Triple<Int, String, String> {
        val java = Path.of(System.getProperty("java.home"), "bin", "java").toString()
        val process = ProcessBuilder(listOf(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
            "dev.anneal.samples.Main") + args).start()
        process.outputStream.close()
        val out = process.inputStream.readAllBytes().decodeToString()
        val err = process.errorStream.readAllBytes().decodeToString()
        process.waitFor(60, TimeUnit.SECONDS) shouldBe true
        return Triple(process.exitValue(), out, err)
    }

    fun oneLine(status: Int, out: String, err: String, names: String) {
        status shouldBe 2
        out.shouldBeEmpty()
        err.lines().dropLastWhile { it.isEmpty() } shouldHaveSize 1
        err.trimEnd() shouldNotContain "\tat "
        err shouldNotContain "Exception"
        err shouldStartWith "anneal"
        err shouldContain names
        err.length shouldBeLessThan 1000
        if (names.startsWith("anneal:")) err.trimEnd() shouldBe names
    }

    val mistakes = listOf(
        Mistake("--epochs that is a word", "--epochs must be a whole number from 1 to 2147483647, got \"x\"", true, "--epochs", "x"),
        Mistake("--epochs 0", "--epochs must be a whole number from 1 to 2147483647, got \"0\"", false, "--epochs", "0"),
        Mistake("--epochs -1", "--epochs must be", false, "--epochs", "-1"),
        Mistake("--epochs 1.5", "--epochs must be", false, "--epochs", "1.5"),
        Mistake("--epochs beyond an int", "--epochs must be", false, "--epochs", "99999999999"),
        Mistake("--epochs without a value", "--epochs needs a value: --epochs N", false, "--epochs"),
        Mistake("--epochs empty", "--epochs must be a whole number from 1 to 2147483647, got \"\"", false, "--epochs", ""),
        Mistake("--epochs=abc", "--epochs must be", false, "--epochs=abc"),
        Mistake("--epochs given twice", "--epochs is given twice", false, "--epochs", "1", "--epochs", "2"),
        Mistake("--epochs followed by an option", "--epochs needs a value", false, "--epochs", "--java"),
        Mistake("--seed that is a word", "--seed must be a whole number from -2147483648 to 2147483647", false, "--seed", "x"),
        Mistake("--seed beyond an int", "--seed must be", false, "--seed", "3000000000"),
        Mistake("--seed without a value", "--seed needs a value", false, "--seed"),
        Mistake("--data without a value", "--data needs a value: --data DIR", false, "--data"),
        Mistake("--data that does not exist", "--data must be a folder holding the four Fashion-MNIST files", true, "--data", "/no/such/anneal/folder"),
        Mistake("--data that is a file", "--data must be a folder holding", false, "--data", file.toString()),
        Mistake("--data that is an empty folder", "which lacks train-images-idx3-ubyte.gz", false, "--data", empty.toString()),
        Mistake("--data empty", "--data must name a file or folder", false, "--data", ""),
        Mistake("--data with a NUL character", "--data must be a valid path", false, "--data", "a\u0000b"),
        Mistake("--data with a line break", "--data must be a folder holding", false, "--data", "a\nb"),
        Mistake("--data holding a damaged file", "train-images-idx3-ubyte.gz is a damaged or truncated gzip file", true, "--data", damaged.toString(), "--epochs", "1"),
        Mistake("--checkpoints that is a file", "--checkpoints must be a folder Anneal can write to", false, "--checkpoints", file.toString()),
        Mistake("--checkpoints under a file", "--checkpoints must be a folder Anneal can write to", false, "--checkpoints", "$file/checkpoints"),
        Mistake("--checkpoints without a value", "--checkpoints needs a value", false, "--checkpoints"),
        Mistake("--out that is a file", "--out must be a folder Anneal can write to", false, "--out", file.toString()),
        Mistake("--out under a file", "--out must be a folder Anneal can write to", false, "--out", "$file/runs/a"),
        Mistake("--out without a value", "--out needs a value", false, "--out"),
        Mistake("--clip -1", "anneal: --clip must be a positive number from 1.2E-38 to 3.4E38, got \"-1\"", true, "--clip", "-1"),
        Mistake("--clip that is a word", "anneal: --clip must be a positive number from 1.2E-38 to 3.4E38, got \"x\"", false, "--clip", "x"),
        Mistake("--clip NaN", "anneal: --clip must be a positive number from 1.2E-38 to 3.4E38, got \"NaN\"", false, "--clip", "NaN"),
        Mistake("--clip Infinity", "anneal: --clip must be a positive number from 1.2E-38 to 3.4E38, got \"Infinity\"", false, "--clip", "Infinity"),
        Mistake("--clip 0", "anneal: --clip must be a positive number from 1.2E-38 to 3.4E38, got \"0\"", false, "--clip", "0"),
        Mistake("--clip above 3.4e38", "anneal: --clip must be a positive number from 1.2E-38 to 3.4E38, got \"3.5e38\"", false, "--clip", "3.5e38"),
        Mistake("--clip below 1.2e-38", "anneal: --clip must be a positive number from 1.2E-38 to 3.4E38, got \"1e-38\"", false, "--clip", "1e-38"),
        Mistake("--clip in Java's hexadecimal", "anneal: --clip must be a positive number from 1.2E-38 to 3.4E38, got \"0x1p0\"", false, "--clip", "0x1p0"),
        Mistake("--clip with Java's double suffix", "anneal: --clip must be a positive number from 1.2E-38 to 3.4E38, got \"1d\"", false, "--clip", "1d"),
        Mistake("--clip empty", "anneal: --clip must be a positive number from 1.2E-38 to 3.4E38, got \"\"", false, "--clip", ""),
        Mistake("--clip without a value", "anneal: --clip needs a value: --clip MAXNORM", false, "--clip"),
        Mistake("--accumulate 0", "anneal: --accumulate must be a whole number from 1 to 1875, got \"0\"", true, "--accumulate", "0"),
        Mistake("--accumulate -2", "anneal: --accumulate must be a whole number from 1 to 1875, got \"-2\"", false, "--accumulate", "-2"),
        Mistake("--accumulate beyond an epoch of the full set", "anneal: --accumulate must be a whole number from 1 to 1875, got \"1876\"", false, "--accumulate", "1876"),
        Mistake("--accumulate 1.5", "anneal: --accumulate must be a whole number from 1 to 1875, got \"1.5\"", false, "--accumulate", "1.5"),
        Mistake("--accumulate that is a word", "anneal: --accumulate must be a whole number from 1 to 1875, got \"two\"", false, "--accumulate", "two"),
        Mistake("--accumulate without a value", "anneal: --accumulate needs a value: --accumulate K", false, "--accumulate"),
        Mistake("--loss-scale that is another word", "anneal: --loss-scale must be dynamic or a positive number from 1.2E-38 to 3.4E38, got \"maybe\"", true, "--loss-scale", "maybe"),
        Mistake("--loss-scale Dynamic", "anneal: --loss-scale must be dynamic or a positive number from 1.2E-38 to 3.4E38, got \"Dynamic\"", false, "--loss-scale", "Dynamic"),
        Mistake("--loss-scale 0", "anneal: --loss-scale must be dynamic or a positive number from 1.2E-38 to 3.4E38, got \"0\"", false, "--loss-scale", "0"),
        Mistake("--loss-scale -128", "anneal: --loss-scale must be dynamic or a positive number from 1.2E-38 to 3.4E38, got \"-128\"", false, "--loss-scale", "-128"),
        Mistake("--loss-scale inf", "anneal: --loss-scale must be dynamic or a positive number from 1.2E-38 to 3.4E38, got \"inf\"", false, "--loss-scale", "inf"),
        Mistake("--loss-scale 1e39", "anneal: --loss-scale must be dynamic or a positive number from 1.2E-38 to 3.4E38, got \"1e39\"", false, "--loss-scale", "1e39"),
        Mistake("--precision fp64", "anneal: --precision must be fp32 or fp16, got \"fp64\"", false, "--precision", "fp64"),
        Mistake("--precision bf16 on the CPU", "anneal: --precision bf16 is not available on the CPU (DJL 0.35.1 aborts the JVM on any bfloat16 CPU tensor); use fp16", true, "--precision", "bf16"),
        Mistake("--precision FP16", "anneal: --precision must be fp32 or fp16, got \"FP16\"", false, "--precision", "FP16"),
        Mistake("--loss-scale without a value", "anneal: --loss-scale needs a value: --loss-scale SCALE", false, "--loss-scale"),
        Mistake("--java=true", "--java is a flag and takes no value", false, "--java=true"),
        Mistake("--workers 1", "anneal: --workers must be a whole number from 2 to 16, got \"1\"", false, "--workers", "1"),
        Mistake("--workers 17", "anneal: --workers must be a whole number from 2 to 16, got \"17\"", false, "--workers", "17"),
        Mistake("--workers with --out", "anneal: --out is not available with --workers yet; --workers takes --epochs, --data, --seed, --checkpoints, --clip and --accumulate", false, "--workers", "2", "--out", "never-made"),
        Mistake("--workers without the Spark module", "anneal: --workers needs the anneal-spark module on the classpath; ./anneal puts it there", true, "--workers", "2"),
        Mistake("--device that is not one", "--device must be cpu, gpu or gpu:N, got \"tpu\"", false, "--device", "tpu"),
        Mistake("--device gpu:x", "--device must be a whole number from 0 to 1023, got \"x\"", false, "--device", "gpu:x"),
        // This machine's build has DJL's CPU natives: a GPU is refused before training, saying why.
        Mistake("--device gpu without CUDA", "anneal: --device is gpu(0), which cannot be used: DJL's PyTorch engine was " +
            "loaded without CUDA (these are its CPU natives: build with -Pcuda for pytorch-native-cu128)", true, "--device", "gpu"),
        Mistake("an unknown option", "\"--epoch\" is not an option; options are --epochs, --data", true, "--epoch", "3"),
        Mistake("a one-letter option", "\"-x\" is not an option", false, "-x"),
        Mistake("a word for an option", "argument \"foo\" is not an option", false, "foo"),
        Mistake("a 120 KB value", "--epochs must be a whole number from 1 to 2147483647, got \"999", true, "--epochs", huge),
        Mistake("a 120 KB option", "(120002 characters) is not an option", true, "--$huge"),
        Mistake("a value with a line break", "--epochs must be a whole number from 1 to 2147483647, got \"1\\n2\"", false, "--epochs", "1\n2"),
        Mistake("schedule without text", "'<schedule>' is required", false, "schedule"),
        Mistake("schedule without --steps", "--steps is required", true, "schedule", schedule),
        Mistake("schedule --steps that is a word", "--steps must be a whole number from 1 to 9223372036854775807, got \"x\"", false, "schedule", schedule, "--steps", "x"),
        Mistake("schedule --steps 0", "--steps must be", false, "schedule", schedule, "--steps", "0"),
        Mistake("schedule --steps-per-epoch that is a word", "--steps-per-epoch must be", false, "schedule", schedule, "--steps", "10", "--steps-per-epoch", "x"),
        Mistake("schedule --csv in a missing folder", "--csv must be a file in a folder that exists", false, "schedule", schedule, "--steps", "10", "--csv", "/no/such/anneal/s.csv"),
        Mistake("schedule --csv that is a folder", "--csv must be a file in a folder that exists", false, "schedule", schedule, "--steps", "10", "--csv", empty.toString()),
        Mistake("schedule --png in a missing folder", "--png must be a file", false, "schedule", schedule, "--steps", "10", "--png", "/no/such/anneal/s.png"),
        Mistake("schedule --every without --csv", "--every sets the rows of --csv", false, "schedule", schedule, "--steps", "10", "--every", "2"),
        Mistake("schedule --every 0", "--every must be", false, "schedule", schedule, "--steps", "10", "--csv", dir.resolve("s.csv").toString(), "--every", "0"),
        Mistake("schedule of 10^18 steps as CSV", "--csv would write 1000000000000000000 rows, more than 1000000: add --every N with N at least 1000002000005", true,
            "schedule", "constant(0.1, steps = 1000000000000000000)", "--steps", "1000000000000000000", "--csv", dir.resolve("big.csv").toString()),
        Mistake("schedule text of 120 KB", "schedule text \"999", false, "schedule", huge, "--steps", "10"),
        Mistake("20,000 nested parentheses", "is longer than 10000 characters", true, "schedule", "(".repeat(20_000) + schedule + ")".repeat(20_000), "--steps", "10"),
        Mistake("50 nested parentheses and one more", "nests parentheses deeper than 50", false, "schedule", "(".repeat(51) + schedule + ")".repeat(51), "--steps", "10"),
        Mistake("an unknown phase", "unknown phase 'cosin'", false, "schedule", "cosin(steps = 9)", "--steps", "9"),
        Mistake("a negative peak", "schedule.cosine.peak must be non-negative (>= 0) and finite, got -0.1", false, "schedule", "cosine(steps = 100, peak = -0.1)", "--steps", "100"),
        Mistake("a schedule shorter than --steps", "schedule lasts 10 steps, but the run is planned for 100", false, "schedule", schedule, "--steps", "100"),
        Mistake("epochs without --steps-per-epoch", "schedule.phase[0] is 3 epochs, but the steps per epoch are not known", false, "schedule", "cosine(epochs = 3, peak = 0.1)", "--steps", "100"),
        Mistake("epochs too many to count in steps", "schedule.phase[0] is 4000000000000000000 epochs of 4 steps, more than", false,
            "schedule", "cosine(epochs = 4000000000000000000, peak = 0.1)", "--steps", "10", "--steps-per-epoch", "4"),
        Mistake("two schedule texts", "argument \"$schedule\" is one too many: the command takes '<schedule>'", false, "schedule", schedule, schedule, "--steps", "10"),
        Mistake("schedule with an unknown option", "\"--bogus\" is not an option; options are --steps, --steps-per-epoch, --csv, --every, --png and --help", false, "schedule", schedule, "--bogus"),
        Mistake("gan with a word for epochs", "EPOCHS must be a whole number from 1 to 2147483647, got \"x\"", true, "gan", "x"),
        Mistake("gan with 0 epochs", "EPOCHS must be", false, "gan", "0"),
        Mistake("gan with two numbers", "argument \"2\" is one too many: the command takes EPOCHS", false, "gan", "1", "2"),
        Mistake("gan with an option", "\"--epochs\" is not an option; the only option is --help", false, "gan", "--epochs", "3"),
    )

    context("a mistake is one line naming the option, and status 2") {
        withData(mistakes) { m ->
            val (status, out, err) = run(*m.args)
            oneLine(status, out, err, m.names)
        }
    }

    context("the same through the real main in a child JVM") {
        withData(mistakes.filter { it.child }) { m ->
            val (status, out, err) = runChild(*m.args)
            oneLine(status, out, err, m.names)
        }
    }

    context("--help lists every option and exits with 0") {
        withData(
            nameFn = { it.joinToString(" ") },
            listOf("--help"), listOf("-h"), listOf("--epochs", "x", "--help"), listOf("schedule", "--help"), listOf("gan", "--help"),
        ) { args ->
            val (status, out, err) = run(*args.toTypedArray())
            status shouldBe 0
            err.shouldBeEmpty()
            val options = when (args.first()) {
                "schedule" -> ScheduleCommand.OPTIONS
                "gan" -> emptyList()
                else -> Main.OPTIONS + ScheduleCommand.OPTIONS
            }
            options.forEach { out shouldContain it.name() }
            out shouldContain (if (args.first() == "gan") "usage: anneal gan [EPOCHS]" else "--help")
        }
    }

    test("--help through the real main exits with 0 and lists every option") {
        val (status, out, err) = runChild("--help")
        status shouldBe 0
        err.shouldBeEmpty()
        (Main.OPTIONS + ScheduleCommand.OPTIONS).forEach { out shouldContain it.name() }
    }

    test("the options given reach the job's settings; none given, the job is today's") {
        val data = Path.of("data", "fashion-mnist")
        fun job(vararg args: String) = Main.job(CommandLine.parse(arrayOf("--data", data.toString(), *args), Main.OPTIONS))
        job() shouldBe JobSettings(data, Main.DEFAULT_EPOCHS, Main.DEFAULT_SEED)
        job().lossScale() shouldBe LossScale.none()
        job("--clip", "1.0", "--accumulate", "2", "--loss-scale", "dynamic", "--epochs", "3") shouldBe
            JobSettings(data, 3, Main.DEFAULT_SEED).withClip(1.0).withAccumulate(2).withLossScale(LossScale.dynamic())
        job("--precision", "fp16").precision() shouldBe DataType.FLOAT16
        job("--precision", "fp32") shouldBe job()
        val runs = java.nio.file.Files.createTempDirectory("out").resolve("runs/a")
        job("--out", runs.toString()).runFolder() shouldBe runs
        java.nio.file.Files.isDirectory(runs) shouldBe true
        job("--clip=.25", "--accumulate=1875", "--loss-scale=1024").let {
            it.clip() shouldBe 0.25
            it.accumulate() shouldBe 1875
            it.lossScale() shouldBe LossScale.fixed(1024.0, true)
        }
    }

    test("a number is read as people write one, within the bounds the message states") {
        mapOf("1.0" to 1.0, "0.5" to 0.5, ".5" to 0.5, "2." to 2.0, "+2" to 2.0, "1e-3" to 1e-3, "1E3" to 1000.0,
            "3.4e38" to 3.4e38, "1.2E-38" to 1.2e-38, "0000.25" to 0.25,
        ).forEach { (text, value) -> CommandLine.positive("--clip", text, "") shouldBe value }
    }

    test("options are checked in order before anything is made: refused data leave no checkpoint folder behind") {
        val (status, _, err) = run("--checkpoints", dir.resolve("new/checkpoints").toString(), "--data", empty.toString())
        status shouldBe 2
        err shouldContain "--data"
        Files.exists(dir.resolve("new")) shouldBe false
    }
}) {
    private companion object {
        fun gzipped(bytes: ByteArray): ByteArray {
            val out = ByteArrayOutputStream()
            GZIPOutputStream(out).use { it.write(bytes) }
            return out.toByteArray()
        }
    }
}
