package dev.anneal.testing

import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread
import kotlin.time.Duration
import kotlin.time.Duration.Companion.minutes

/**
 * Runs a `main` of the test classpath in a JVM of its own, for what may kill a JVM (a native
 * abort in libtorch, a segfault) or must be killed (SIGKILL mid-write): the test run survives it
 * and can say how the child ended. The child gets the test classpath, DJL offline, a small heap,
 * and a temporary working folder for its crash logs. Give it absolute paths.
 */
object ChildJvm {
    private val java: String = Path.of(System.getProperty("java.home"), "bin", "java").toString()

    /** Quick to start: the children are short, and there may be dozens of them. */
    private val jvmArgs = listOf(
        "-Dai.djl.offline=true", "-Xss4m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-XX:-CreateCoredumpOnCrash",
    )

    /** How a child ended: its exit code (128 + n for signal n) and everything it printed, stdout and stderr. */
    data class Result(val exitCode: Int, val output: String) {
        val lines: List<String> get() = output.lines()
    }

    /** A running child whose output lines arrive in [lines] as it prints them. */
    class Child(val process: Process) {
        val lines = LinkedBlockingQueue<String>()
        private val all = StringBuffer()
        private val reader = thread(isDaemon = true, name = "child-jvm-output") {
            process.inputStream.bufferedReader().forEachLine {
                all.append(it).append('\n')
                lines.put(it)
            }
        }

        /** Waits up to [timeout] for a line that [matches]; null if the child ended or time ran out first. */
        fun awaitLine(timeout: Duration, matches: (String) -> Boolean): String? {
            val end = System.nanoTime() + timeout.inWholeNanoseconds
            while (true) {
                val left = end - System.nanoTime()
                if (left <= 0) return null
                val line = lines.poll(minOf(left, 50_000_000L), TimeUnit.NANOSECONDS)
                if (line != null && matches(line)) return line
                if (line == null && !reader.isAlive && lines.isEmpty()) return null // the child ended
            }
        }

        /** SIGKILL, as `kill -9`: no shutdown hook, no finally, no flush. */
        fun kill(): Result {
            process.destroyForcibly()
            return await(1.minutes)
        }

        /** Waits for the child to end by itself; a child still running after [timeout] is killed and fails the test. */
        fun await(timeout: Duration): Result {
            if (!process.waitFor(timeout.inWholeMilliseconds, TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor()
                reader.join(10_000)
                throw AssertionError("child JVM still running after $timeout; it printed:\n$all")
            }
            reader.join(10_000)
            return Result(process.exitValue(), all.toString())
        }
    }

    /** Where a crashing child writes its `hs_err` log, away from the working directory. */
    private val errors: Path by lazy { Files.createTempDirectory("child-jvm") }

    /** Starts `main` of [mainClass] with [args]. */
    fun start(mainClass: String, vararg args: String): Child {
        val classpath = System.getProperty("java.class.path").split(File.pathSeparator)
            .joinToString(File.pathSeparator) { File(it).absolutePath }
        val command = listOf(java) + jvmArgs + listOf("-XX:ErrorFile=$errors${File.separator}hs_err_%p.log", "-cp", classpath, mainClass) + args
        // Run in the crash folder, so that a core dump, if the system writes one, lands there too.
        return Child(ProcessBuilder(command).directory(errors.toFile()).redirectErrorStream(true).start())
    }

    /** Runs `main` of [mainClass] with [args] to its end. */
    fun run(mainClass: String, vararg args: String, timeout: Duration = 2.minutes): Result =
        start(mainClass, *args).await(timeout)
}
