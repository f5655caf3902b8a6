package dev.anneal.script

import dev.anneal.config.Shown
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.doubles.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * `anneal run FILE.main.kts` as the launcher runs it: a child JVM on this module's class path, in
 * the repository's root. The samples' scripts train shortened; broken scripts report their line.
 */
class RunScriptSpec : FunSpec({
    val root = Path.of("").toAbsolutePath().parent
    val resources = Path.of("src", "test", "resources", "scripts").toAbsolutePath()

    /** Exit status and everything printed, stdout then stderr. */
    fun anneal(vararg args: String): Pair<Int, String> {
        val java = Path.of(System.getProperty("java.home"), "bin", "java").toString()
        val process = ProcessBuilder(listOf(java, "-Dai.djl.offline=true", "-Danneal.home=$root", "-Xss4m",
            "-cp", System.getProperty("java.class.path"), "dev.anneal.script.RunScript") + args)
            .directory(root.toFile()).redirectErrorStream(true).start()
        process.outputStream.close()
        val output = process.inputStream.readAllBytes().decodeToString()
        process.waitFor(5, TimeUnit.MINUTES) shouldBe true
        return process.exitValue() to output
    }

    /** The exit status expected, with the output shown when it is another. */
    fun Pair<Int, String>.exits(status: Int): String {
        withClue(second) { first shouldBe status }
        return second
    }

    fun accuracy(output: String): Double =
        output.lines().single { it.startsWith("test accuracy: ") }.removePrefix("test accuracy: ").toDouble()

    test("the MLP script trains its pipeline, shortened to one epoch by its own argument") {
        val output = anneal("samples/scripts/fashion-mlp.main.kts", "--epochs", "1").exits(0)
        output.lines().filter { it.startsWith("epoch ") } shouldBe listOf("epoch 1/1: test accuracy %.4f".format(accuracy(output)))
        accuracy(output) shouldBeGreaterThanOrEqual 0.70
    }

    test("the warmup-cosine script's plateau halves the rate at every epoch whose val_loss does not beat the best") {
        val output = anneal("samples/scripts/warmup-cosine-plateau.main.kts", "--epochs", "6").exits(0)
        val epochs = output.lines().mapNotNull { Regex("""epoch \d/6: val_loss (\S+), plateau scale (\S+)""").matchEntire(it) }
        epochs shouldHaveSize 6
        // ReduceLROnPlateau written out: mode min, rel threshold 1e-4, patience 0, factor 0.5.
        var best = Double.POSITIVE_INFINITY
        var scale = 1.0
        val expected = epochs.map { match ->
            val loss = match.groupValues[1].toDouble()
            if (loss < best * (1 - 1e-4)) best = loss else scale *= 0.5
            scale
        }
        epochs.map { it.groupValues[2].toDouble() } shouldBe expected
        (expected.last() < 1.0) shouldBe true // this seed's run does reach a plateau
        accuracy(output) shouldBeGreaterThanOrEqual 0.80
    }

    test("the L-BFGS script's fit, one closure-driven step an epoch, is the least-squares solution of the normal equations") {
        val output = anneal("samples/scripts/lbfgs-regression.main.kts", "--epochs", "3").exits(0)
        fun figures(prefix: String) = output.lines().single { it.startsWith(prefix) }.removePrefix(prefix).trim().split(" ").map { it.toDouble() }
        val fit = figures("fit:")
        val exact = figures("least squares:")
        fit shouldHaveSize 4
        fit.zip(exact).forEach { (a, b) -> (kotlin.math.abs(a - b) < 1e-3) shouldBe true }
        // The noise's variance is 0.01: the fit's error cannot go much below it, and is near it.
        val mse = output.lines().last { it.startsWith("epoch 3/3: mse ") }.removePrefix("epoch 3/3: mse ").toDouble()
        (mse > 0.005 && mse < 0.02) shouldBe true
    }

    test("the transfer-learning script keeps the backbone frozen under the new head, then fine-tunes it through a late group") {
        val output = anneal("samples/scripts/transfer-learning.main.kts").exits(0)
        output shouldContain "backbone unchanged while frozen: true"
        output shouldContain "backbone changed once unfrozen: true"
        fun accuracy(phase: String) = Regex("""$phase: test accuracy (\S+)""").find(output)!!.groupValues[1].toDouble()
        accuracy("pretrained, 10 classes") shouldBeGreaterThanOrEqual 0.70
        accuracy("frozen backbone, new head, 4 classes") shouldBeGreaterThanOrEqual 0.85
        accuracy("fine-tuned, backbone at lr 1e-4") shouldBeGreaterThanOrEqual accuracy("frozen backbone, new head, 4 classes")
    }

    test("a type error is reported at the script's file, line and column, with exit status 1") {
        val output = anneal(resources.resolve("type-error.main.kts").toString()).exits(1)
        output shouldContain Regex("""type-error\.main\.kts:4:\d+: error: initializer type mismatch: expected 'Int', actual 'String'""")
    }

    test("an exception in the script shows the script's line and exits with 3, after the script's own output") {
        val output = anneal(resources.resolve("throws.main.kts").toString(), "--flag", "x").exits(3)
        output shouldStartWith "before: [--flag, x]"
        output shouldContain "optimizer.adam.lr must be"
        output shouldContain "(throws.main.kts:4)"
    }

    test("compiled scripts are cached per class path: a jar rebuilt is a new cache, never a script compiled against the old one") {
        val jar = Files.createTempFile("anneal", ".jar")
        val before = RunScript.fingerprint(jar.toString())
        RunScript.fingerprint(jar.toString()) shouldBe before
        jar.toFile().setLastModified(jar.toFile().lastModified() - 10_000) shouldBe true
        (RunScript.fingerprint(jar.toString()) == before) shouldBe false
        Files.writeString(jar, "rebuilt")
        (RunScript.fingerprint(jar.toString()) == before) shouldBe false
    }

    test("a file that is not a .main.kts script is refused in one line, exit status 2; no file prints the usage") {
        val notScript = Files.createTempFile("pipeline", ".kt")
        val output = anneal(notScript.toString()).exits(2)
        output.trim() shouldBe "anneal run: FILE must name a Kotlin script ending in .main.kts, got ${Shown.quoted(notScript.toString())}"
        val (missingStatus, missing) = anneal("samples/scripts/none.main.kts")
        missingStatus shouldBe 2
        missing.trim() shouldBe "anneal run: FILE must be a script file, which it is not, got \"samples/scripts/none.main.kts\""
        anneal().let { (usage, text) -> usage shouldBe 2; text shouldStartWith "usage: anneal run FILE.main.kts" }
        anneal("/").exits(2).trim() shouldBe "anneal run: FILE must name a Kotlin script ending in .main.kts, got \"/\""
    }
})
