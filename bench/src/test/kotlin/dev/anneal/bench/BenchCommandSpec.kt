package dev.anneal.bench

import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldNotContain
import java.io.File
import java.util.concurrent.TimeUnit

/** `./anneal bench` as a user runs it: its own JVM, the output it prints and its exit status. */
class BenchCommandSpec : FunSpec({
    // Where --against keeps the revisions it builds (~/.cache/anneal), for this spec only.
    val userHome = kotlin.io.path.createTempDirectory("bench-home").toFile()
    afterSpec { userHome.deleteRecursively() }

    fun bench(vararg args: String, environment: Map<String, String> = mapOf()): Pair<Int, String> {
        val java = File(System.getProperty("java.home"), "bin/java").path
        // As the launcher runs it: anneal.home says where the shipped Fashion-MNIST is.
        val home = "-Danneal.home=" + File("..").canonicalPath
        val builder = ProcessBuilder(listOf(java, home, "-Duser.home=$userHome", "-cp", System.getProperty("java.class.path"),
            Bench::class.java.name) + args)
        builder.environment().remove("MALLOC_MMAP_MAX_")
        builder.environment().putAll(environment)
        val process = builder.redirectErrorStream(true).start()
        val output = process.inputStream.bufferedReader().readText()
        process.waitFor(5, TimeUnit.MINUTES) shouldBe true
        return process.exitValue() to output
    }

    test("--only runs the named sections: Muon against its own products, the loop, and only the loop's target") {
        val (status, output) = bench("--quick", "--only", "muon,lenet-step")
        withClue(output) { status shouldBe 0 }
        output shouldContain Regex("""muon\s+1x1024x1024\s+anneal\s+[0-9.]+ +[0-9.]+ +[0-9.]+ +1\.00x""")
        output shouldContain Regex("""muon\s+1x1024x1024\s+products\s""")
        output shouldContain Regex("""muon\s+1x1024x1024\s+adamw\s""")
        output shouldContain Regex("""lenet-step\s+lenet5-b32\s+djl\s""")
        output shouldContain Regex("""targets:\n  lenet step: anneal / djl <= 1.05\s+[0-9.]+  (ok|MISSED)\n""")
        output shouldNotContain "+clip"
        output shouldNotContain "torch.optim:"
        output shouldNotContain "sgd-momentum  "
    }

    test("an optimizer's rows started without the launcher's memory setting say that they time page faults; with it they do not") {
        val (status, output) = bench("--quick", "--only", "lion")
        withClue(output) { status shouldBe 0 }
        output shouldContain "native memory: glibc gives freed blocks over 32 MB back to the kernel"
        output shouldContain Regex("""lion\s+1x10000000\s+anneal-fast\s""")
        val (kept, quiet) = bench("--quick", "--only", "lion", environment = mapOf("MALLOC_MMAP_MAX_" to "0"))
        withClue(quiet) { kept shouldBe 0 }
        quiet shouldNotContain "native memory:"
    }

    test("the tools section times a copy and a pass that only reads as many floats beside Adam with each tool") {
        val (status, output) = bench("--quick", "--only", "adam+tools")
        withClue(output) { status shouldBe 0 }
        for (impl in listOf("copy", "read", "anneal-fast", "+clip", "+ema", "-check")) {
            output shouldContain Regex("""adam\+tools\s+1x10000000\s+${Regex.escape(impl)}\s+[0-9.]+ """)
        }
        // A read moves 4 bytes a float, a copy 8: the read row's share of the copy bandwidth is a percentage.
        output shouldContain Regex("""adam\+tools\s+1x10000000\s+read\s+[0-9. ]+x\s+[0-9.]+\s+[0-9]+%\n""")
        // On a noisy machine the step with clipping may time below the plain one: a negative extra.
        output shouldContain Regex("""adam 1x10000000 \+clip: extra time / one read <= 1\s+-?[0-9.]+  (ok|MISSED)\n""")
    }

    test("a section that does not exist is refused with the list of those that do, before any timing") {
        val (status, output) = bench("--only", "adam,lamb2")
        status shouldBe 2
        output shouldContain "--only got \"lamb2\", which is not a section; sections are sgd-momentum, adam,"
        output shouldContain "muon, lenet-step, parallel"
        output shouldNotContain "copy bandwidth"
    }

    test("--against builds a revision and times its fused steps beside this build's, with and without the check") {
        val (status, output) = bench("--against", "HEAD", "--only", "lion", "--quick")
        withClue(output) { status shouldBe 0 }
        val commit = Regex("""building ([0-9a-f]{7}) in """).find(output)?.groupValues?.get(1)
        withClue(output) { (commit != null) shouldBe true }
        output shouldContain Regex("""optimizer\s+layout\s+$commit ms\s+this ms\s+ratio\s+-check ms\s+ratio\n""")
        for (layout in listOf("1x10000000", "1000x10000", "10000x100")) {
            output shouldContain Regex("""lion\s+$layout\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\n""")
        }
        output shouldContain "more than 10% slower than $commit: "
        File(userHome, ".cache/anneal/against").listFiles()!!.single().resolve("built").isFile shouldBe true
    }

    test("--against refuses, before building anything, what is not a commit and sections that are not optimizers") {
        val (noCommit, first) = bench("--against", "no-such-revision", "--quick")
        noCommit shouldBe 2
        first shouldContain "anneal bench: --against got no-such-revision, which is no commit of "
        val (tools, second) = bench("--against", "HEAD", "--only", "adam,adam+tools")
        tools shouldBe 2
        second shouldContain "--against times the optimizers' fused steps only: it takes --only with optimizers (sgd-momentum,"
        (first + second) shouldNotContain "building"
    }
})
