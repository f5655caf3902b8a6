package dev.anneal.dsl

import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldNotBeEmpty
import io.kotest.matchers.shouldBe
import org.jetbrains.kotlin.cli.common.ExitCode
import org.jetbrains.kotlin.cli.common.messages.CompilerMessageSeverity
import org.jetbrains.kotlin.cli.common.messages.CompilerMessageSourceLocation
import org.jetbrains.kotlin.cli.common.messages.MessageCollector
import org.jetbrains.kotlin.cli.jvm.K2JVMCompiler
import org.jetbrains.kotlin.config.Services
import java.io.File
import java.nio.file.Files

/**
 * Runs the Kotlin compiler on DSL snippets. Each file in `compile-fail/` must fail with the errors
 * its `// ERROR: text` comments name, on those lines and nowhere else, so that a snippet cannot
 * pass by failing for an unrelated reason. Each file in `compile-pass/` must compile cleanly, which
 * shows that the classpath is right.
 */
class CompileFailSpec : FunSpec({
    for (file in snippets("compile-fail")) {
        test("${file.name} does not compile, for the reasons its comments give") {
            val expected = expectedErrors(file)
            val (code, errors) = compile(file)
            withClue("errors of ${file.name}:\n${errors.joinToString("\n")}") {
                withClue("no // ERROR: comment, so any failure would do") { expected.keys.shouldNotBeEmpty() }
                code shouldBe ExitCode.COMPILATION_ERROR // not an internal error
                for ((line, texts) in expected) {
                    for (text in texts) {
                        // Case aside: in-process messages start with a capital ("Unresolved reference ...").
                        withClue("line $line should report \"$text\"") {
                            errors.any { it.line == line && it.message.contains(text, ignoreCase = true) } shouldBe true
                        }
                    }
                }
                withClue("errors on lines without an ERROR comment") {
                    errors.filter { it.line !in expected }.shouldBeEmpty()
                }
            }
        }
    }

    for (file in snippets("compile-pass")) {
        test("${file.name} compiles") {
            val (code, errors) = compile(file)
            withClue("errors of ${file.name}:\n${errors.joinToString("\n")}") {
                errors.shouldBeEmpty()
                code shouldBe ExitCode.OK
            }
        }
    }
})

private data class CompileError(val line: Int, val column: Int, val message: String) {
    override fun toString() = "$line:$column: $message"
}

private fun snippets(dir: String): List<File> {
    val url = CompileFailSpec::class.java.getResource("/$dir") ?: error("no $dir/ among the test resources")
    return File(url.toURI()).listFiles { f -> f.name.endsWith(".kt") }!!.sortedBy { it.name }
}

/** Line number (1-based) to the texts of that line's `// ERROR:` comments. */
private fun expectedErrors(file: File): Map<Int, List<String>> =
    file.readLines().withIndex()
        .filter { "// ERROR:" in it.value }
        .associate { (i, line) -> i + 1 to line.split("// ERROR:").drop(1).map { it.trim() } }

/** Compiles [source] alone against the test classpath, in-process; the exit code and the errors. */
private fun compile(source: File): Pair<ExitCode, List<CompileError>> {
    // The test classpath has the DSL, the engine, the stdlib and DJL; the compiler itself is not needed.
    val classpath = System.getProperty("java.class.path").split(File.pathSeparator)
        .filterNot { "kotlin-compiler-embeddable" in it }
        .joinToString(File.pathSeparator)
    val errors = mutableListOf<CompileError>()
    val collector = object : MessageCollector {
        override fun clear() = errors.clear()

        override fun hasErrors() = errors.isNotEmpty()

        override fun report(
            severity: CompilerMessageSeverity,
            message: String,
            location: CompilerMessageSourceLocation?,
        ) {
            // Errors without a location (a bad classpath, say) get line 0, which no comment claims.
            if (severity.isError) errors += CompileError(location?.line ?: 0, location?.column ?: 0, message)
        }
    }
    val out = Files.createTempDirectory("compile-fail").toFile()
    try {
        val compiler = K2JVMCompiler()
        val args = compiler.createArguments()
        // The stdlib comes from the classpath, so the compiler need not look for a Kotlin home.
        compiler.parseArguments(
            arrayOf(
                "-classpath", classpath, "-d", out.path, "-no-stdlib", "-no-reflect", "-jvm-target", "17",
                source.path,
            ),
            args,
        )
        return compiler.exec(collector, Services.EMPTY, args) to errors.toList()
    } finally {
        out.deleteRecursively()
    }
}
