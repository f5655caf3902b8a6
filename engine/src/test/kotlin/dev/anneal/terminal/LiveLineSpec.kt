package dev.anneal.terminal

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.io.ByteArrayOutputStream
import java.nio.charset.StandardCharsets

class LiveLineSpec : FunSpec({
    val erase = "\r\u001b[K"

    fun setUp(): Triple<ByteArrayOutputStream, LiveLine, java.io.PrintStream> {
        val screen = ByteArrayOutputStream()
        val line = LiveLine(screen, StandardCharsets.UTF_8)
        return Triple(screen, line, line.passing(screen))
    }

    test("text printed while the line is shown erases it first and is followed by the line drawn again") {
        val (screen, line, out) = setUp()
        line.show("bar 1")
        line.show("bar 2")
        out.println("Epoch:[0/1], step:[297/297]")
        line.finish()
        out.println("test accuracy: 0.8")
        screen.toString() shouldBe "\rbar 1\u001b[K" + "\rbar 2\u001b[K" + erase + "Epoch:[0/1], step:[297/297]\n" +
            "\rbar 2\u001b[K" + "\n" + "test accuracy: 0.8\n"
    }

    test("a half-written line of text is not overdrawn: the line waits for its newline") {
        val (screen, line, out) = setUp()
        line.show("bar 1")
        out.print("loss ")
        line.show("bar 2")
        out.print("0.5")
        out.println()
        screen.toString() shouldBe "\rbar 1\u001b[K" + erase + "loss " + "0.5" + "\n" + "\rbar 2\u001b[K"
    }

    test("without a line shown, text passes through unchanged; a finished line stays as drawn, and only once") {
        val (screen, line, out) = setUp()
        out.println("header")
        line.show("bar")
        line.finish()
        line.finish()
        out.println("after")
        screen.toString() shouldBe "header\n" + "\rbar\u001b[K\n" + "after\n"
    }

    test("on exit a shown line is ended with a newline and nothing is drawn after it") {
        val (screen, line, out) = setUp()
        line.show("bar")
        line.close()
        line.show("bar 2")
        out.println("late")
        screen.toString() shouldBe "\rbar\u001b[K\n" + "late\n"
    }
})
