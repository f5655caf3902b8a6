package dev.anneal.samples

import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.ints.shouldBeGreaterThanOrEqual
import io.kotest.matchers.ints.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldMatch
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit
import kotlin.io.path.createTempDirectory

/**
 * The main job in a real terminal: tmux at 80 columns runs it from a shell as the launcher does,
 * and its screen is read back with `capture-pane -J` (wrapped rows joined, so a wrapped line
 * shows as one longer than 80). `.ci/run` installs Debian's tmux.
 */
class TerminalSpec : FunSpec({
    val columns = 80
    val dir = createTempDirectory("anneal-tmux")
    // A server per run: one killed and one started at once on the same socket can race.
    val sockets = mutableListOf<String>()
    val java = Path.of(System.getProperty("java.home"), "bin", "java").toString()
    // The launcher's command, in a file: tmux's own commands are too short for the class path.
    val launcher = Files.writeString(dir.resolve("anneal.sh"), """
        export OPT_OUT_TRACKING=true DJL_OFFLINE=true CLASSPATH='${System.getProperty("java.class.path")}'
        exec '$java' -Dai.djl.offline=true -Xss4m dev.anneal.samples.Main --data data/fashion-mnist "$@"
    """.trimIndent())
    val bar = Regex("""epoch (\d+)/(\d+) (\[#*-*] )? *(\d+)/297 \d+\.\d it/s( eta \d+:\d\d)? loss \S+ lr 0\.01""")

    fun tmux(vararg args: String): String {
        val process = ProcessBuilder(listOf("tmux", "-L", sockets.last()) + args).redirectErrorStream(true).start()
        val output = process.inputStream.readAllBytes().decodeToString()
        withClue("tmux ${args.toList()}: $output") { process.waitFor(10, TimeUnit.SECONDS) shouldBe true }
        return output
    }

    /** The screen's lines, wrapped rows joined, without the empty rows below the text. */
    fun screen(): List<String> = tmux("capture-pane", "-p", "-J", "-t", "run").lines().map { it.trimEnd() }.dropLastWhile { it.isEmpty() }

    /** Screens read every 50 ms until [done] holds on one, for at most two minutes. */
    fun watch(done: (List<String>) -> Boolean): List<List<String>> {
        val seen = mutableListOf<List<String>>()
        val deadline = System.nanoTime() + 120_000_000_000L
        while (seen.isEmpty() || !done(seen.last())) {
            withClue("screen so far:\n" + seen.lastOrNull()?.joinToString("\n")) { (System.nanoTime() < deadline) shouldBe true }
            Thread.sleep(50)
            seen += screen()
        }
        return seen
    }

    fun start(args: String) {
        sockets += "anneal-test-${ProcessHandle.current().pid()}-${sockets.size}"
        tmux("new-session", "-d", "-s", "run", "-x", "$columns", "-y", "40", "-c", Path.of("").toAbsolutePath().toString(),
            "env PS1='$ ' bash --norc --noprofile")
        watch { it == listOf("$") } // typed before the prompt, the command would show twice
        tmux("send-keys", "-t", "run", "sh ${launcher} $args", "Enter")
    }

    afterSpec { sockets.forEach { ProcessBuilder("tmux", "-L", it, "kill-server").start().waitFor() } }

    test("one progress line updates in place below the loss monitor's lines, nothing glued or wrapped, at 80 columns") {
        start("--epochs 1")
        val screens = watch { it.lastOrNull() == "$" }
        val finalScreen = screens.last()
        screens.forEach { lines ->
            val bars = lines.filter { "it/s" in it }
            withClue(lines.joinToString("\n")) {
                bars.size shouldBeLessThanOrEqual 1
                bars.forEach { it shouldMatch bar }
                lines.filter { it.startsWith("Epoch") }.forEach { it.length shouldBeLessThanOrEqual columns }
            }
        }
        val counts = screens.mapNotNull { lines -> lines.firstNotNullOfOrNull { bar.matchEntire(it) }?.groupValues?.get(4)?.toInt() }
        withClue("the bar's counts as seen: $counts") {
            counts.distinct().size shouldBeGreaterThanOrEqual 3
            counts shouldBe counts.sorted()
        }
        withClue(finalScreen.joinToString("\n")) {
            val text = finalScreen.dropWhile { !it.startsWith("$ sh ") }.drop(1) // after the command typed
            val expected = listOf("Epoch:[0/1], step:[297/297], loss:[", "epoch 1/1 [", "Epoch time: ", "epoch 1/1  test accuracy 0.",
                "test accuracy: 0.", "diagnosis: learning - ", "$")
            text.mapNotNull { line -> expected.firstOrNull { line.startsWith(it) } } shouldBe expected
            val monitor = text.indexOfFirst { it.startsWith(expected[0]) }
            bar.matchEntire(text[monitor + 1])!!.groupValues[4] shouldBe "297"
        }
    }

    test("Ctrl-C ends the progress line and leaves the prompt on a line of its own") {
        start("--epochs 3")
        watch { lines -> lines.any { line -> bar.matchEntire(line)?.groupValues?.get(4)?.toInt()?.let { it >= 20 } == true } }
        tmux("send-keys", "-t", "run", "C-c")
        val finalScreen = watch { it.lastOrNull() == "$" }.last()
        withClue(finalScreen.joinToString("\n")) {
            finalScreen.filter { "it/s" in it } shouldHaveSize 1
            finalScreen[finalScreen.size - 2].removeSuffix("^C") shouldMatch bar
        }
    }
})
