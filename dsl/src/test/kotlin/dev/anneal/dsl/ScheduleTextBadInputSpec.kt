package dev.anneal.dsl

import dev.anneal.config.InvalidConfigException
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.engine.names.WithDataTestName
import io.kotest.matchers.ints.shouldBeLessThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldNotContain
import io.kotest.matchers.string.shouldStartWith

/**
 * Schedule text as a hostile command line gives it: every mistake is one [InvalidConfigException]
 * naming the text (cut when long) and what is wrong, in one short line; nothing overflows the
 * stack or reads for long, however deep or long the text.
 */
class ScheduleTextBadInputSpec : FunSpec({
    val nested = "(".repeat(20_000) + "constant(0.1, steps = 10)" + ")".repeat(20_000)
    val long = "constant(0.1, steps = 1) then ".repeat(4_000) + "constant(0.1, steps = 1)"
    val deep = "(".repeat(51) + "constant(0.1, steps = 10)" + ")".repeat(51)

    /** [text] refused with [message], which names the text ([shown]) or, from the engine, the field. */
    class Bad(val name: String, val text: String, val message: String) : WithDataTestName {
        override fun dataTestName() = name
    }

    test("a length of more digits than a double holds exactly is read as written") {
        scheduleOf("constant(0.1, steps = 999999999999999900)").steps(0) shouldBe 999_999_999_999_999_900
        scheduleOf("constant(0.1, steps = 1e3)").steps(0) shouldBe 1000
    }

    withData(
        Bad("20,000 nested parentheses", nested,
            "schedule text \"${nested.take(60)}...\" (40025 characters) is longer than 10000 characters"),
        Bad("120 KB of text", long, "schedule text \"${long.take(60)}...\" (120024 characters) is longer than 10000 characters"),
        Bad("51 nested parentheses", deep, "schedule text \"${deep.take(60)}...\" (127 characters) nests parentheses deeper than 50 at column 51"),
        Bad("4,000 nested parentheses within the length", "(".repeat(4_000) + "constant(0.1, steps = 10)" + ")".repeat(4_000),
            "schedule text \"${"(".repeat(60)}...\" (8025 characters) nests parentheses deeper than 50 at column 51"),
        Bad("an unknown phase", "cosin(steps = 9)",
            "schedule text \"cosin(steps = 9)\" unknown phase 'cosin'; phases are constant, cosine, linear, warmup"),
        Bad("an unclosed parenthesis", "(constant(0.1, steps = 10)", "schedule text \"(constant(0.1, steps = 10)\" expected ')' at the end"),
        Bad("a parenthesis too many", "constant(0.1, steps = 10))", "schedule text \"constant(0.1, steps = 10))\" unexpected ')' at column 26"),
        Bad("then with nothing after it", "warmup(steps = 10) then", "schedule text \"warmup(steps = 10) then\" expected a phase such as cosine(...) at the end"),
        Bad("no text", "", "schedule text \"\" expected a phase such as cosine(...) at the end"),
        Bad("only blanks", " \t ", "schedule text \" \\t \" expected a phase such as cosine(...) at the end"),
        Bad("a line break inside", "cosine(steps = 9,\npeek = 0.1)",
            "schedule text \"cosine(steps = 9,\\npeek = 0.1)\" cosine has no argument 'peek'; it takes steps, epochs, peak, end"),
        Bad("a character that is not read", "constant(0.1, steps = 10) # comment",
            "schedule text \"constant(0.1, steps = 10) # comment\" cannot read '# comment' at column 27"),
        Bad("a phase name of 5,000 letters", "x".repeat(5_000) + "(steps = 1)",
            "schedule text \"${"x".repeat(60)}...\" (5011 characters) unknown phase '${"x".repeat(60)}...'; phases are"),
        Bad("a word for a number", "cosine(steps = 9, peak = high)", "schedule text \"cosine(steps = 9, peak = high)\" peak must be a number, got 'high'"),
        Bad("a number beyond a double", "cosine(steps = 9, peak = 1e999)", "schedule text \"cosine(steps = 9, peak = 1e999)\" peak must be a finite number, got 1e999"),
        Bad("steps beyond a long", "constant(0.1, steps = 1e30)",
            "schedule text \"constant(0.1, steps = 1e30)\" steps must be a whole number below 9223372036854775807, got 1e30"),
        Bad("a fraction of a step", "cosine(steps = 9.5, peak = 1)", "schedule text \"cosine(steps = 9.5, peak = 1)\" steps must be a whole number, got 9.5"),
        Bad("a missing argument", "cosine(steps = 9)", "schedule text \"cosine(steps = 9)\" cosine is missing an argument"),
        Bad("too many arguments", "constant(0.1, 5, 6, 7)", "schedule text \"constant(0.1, 5, 6, 7)\" constant takes at most 3 arguments"),
        Bad("an argument twice", "cosine(steps = 9, steps = 900, peak = 1)", "schedule text \"cosine(steps = 9, steps = 900, peak = 1)\" cosine is given steps twice"),
        Bad("both steps and epochs", "constant(0.1, steps = 5, epochs = 2)",
            "schedule.constant needs its length as steps = N or as epochs = N, exactly one, got steps 5 and epochs 2"),
        Bad("a negative length", "constant(0.1, steps = -5)", "duration.steps must be at least 1, got -5"),
        Bad("a negative peak", "cosine(steps = 100, peak = -0.1)", "schedule.cosine.peak must be non-negative (>= 0) and finite, got -0.1"),
        Bad("a warmup with nothing after it", "warmup(steps = 10)", "schedule.phase[0] is a warmup with nothing after it to warm up to"),
        Bad("a missing comma", "constant(0.1 steps = 10)", "schedule text \"constant(0.1 steps = 10)\" expected ',' at column 14, got 'steps'"),
    ) { case ->
        val e = shouldThrowExactly<InvalidConfigException> { scheduleOf(case.text) }
        e.message shouldStartWith case.message
        e.message!! shouldNotContain "\n"
        e.message!!.length shouldBeLessThan 300
    }
})
