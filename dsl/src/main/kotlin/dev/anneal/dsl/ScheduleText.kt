@file:JvmName("ScheduleText")

package dev.anneal.dsl

import dev.anneal.config.InvalidConfigException
import dev.anneal.config.Shown
import dev.anneal.schedule.Timeline
import java.lang.reflect.InvocationTargetException
import kotlin.reflect.KFunction
import kotlin.reflect.KParameter
import kotlin.reflect.KVisibility
import kotlin.reflect.full.memberFunctions

/**
 * The timeline that the body of a `schedule { ... }` block describes, given as text, as on the
 * command line: `warmup(steps = 100) then cosine(steps = 900, peak = 0.1)`.
 */
public fun scheduleOf(text: String): Timeline = ScheduleTextReader(text).timeline()

/** The longest schedule text read: a few hundred phases. Longer text is refused before it is read. */
public const val MAX_SCHEDULE_TEXT_LENGTH: Int = 10_000

/** The deepest nesting of parentheses read; deeper text is refused rather than overflow the stack. */
public const val MAX_SCHEDULE_TEXT_DEPTH: Int = 50

/**
 * The body of a `schedule { ... }` block given as text, as on the command line:
 * `warmup(steps = 100) then cosine(steps = 900, peak = 0.1)`. Calls are made to the DSL's own
 * functions, found by name, so the text means exactly what it means in Kotlin; only calls with
 * number arguments (named or in order), `then` and parentheses are read.
 */
internal class ScheduleTextReader(private val text: String) {
    private val tokens = tokenize(text)
    private var position = 0
    private var depth = 0
    private val scope = ScheduleScope()

    /** The timeline the text describes; problems are [InvalidConfigException]s saying where. */
    fun timeline(): Timeline {
        val phases = expression()
        if (position < tokens.size) fail("unexpected '${Shown.cut(tokens[position].text)}' at column ${tokens[position].column + 1}")
        return scope.finish(phases)
    }

    private fun expression(): Phases {
        var phases = term()
        while (peek() == "then") {
            position++
            phases = phases then term()
        }
        return phases
    }

    private fun term(): Phases {
        if (peek() == "(") {
            if (++depth > MAX_SCHEDULE_TEXT_DEPTH) {
                fail("nests parentheses deeper than $MAX_SCHEDULE_TEXT_DEPTH at column ${tokens[position].column + 1}")
            }
            position++
            val inner = expression()
            expect(")")
            depth--
            return inner
        }
        val name = next("a phase such as cosine(...)")
        val function = PHASES[name] ?: fail("unknown phase '${Shown.cut(name)}'; phases are ${PHASES.keys.joinToString()}")
        expect("(")
        val arguments = mutableMapOf<KParameter, Any?>(function.parameters.first() to scope)
        val positional = function.parameters.drop(1)
        var index = 0
        while (peek() != ")") {
            if (arguments.size > 1) expect(",")
            val named = if (tokens.getOrNull(position + 1)?.text == "=") next("an argument").also { position++ } else null
            val parameter = if (named != null) {
                positional.find { it.name == named }
                    ?: fail("$name has no argument '${Shown.cut(named)}'; it takes ${positional.joinToString { it.name!! }}")
            } else {
                positional.getOrNull(index++) ?: fail("$name takes at most ${positional.size} arguments")
            }
            if (parameter in arguments) fail("$name is given ${parameter.name} twice")
            arguments[parameter] = number(parameter)
        }
        expect(")")
        try {
            return function.callBy(arguments) as Phases
        } catch (e: InvocationTargetException) {
            throw e.targetException
        } catch (e: IllegalArgumentException) {
            fail("$name is missing an argument (${e.message})")
        }
    }

    private fun number(parameter: KParameter): Any {
        val token = next("a number for ${parameter.name}")
        val value = token.toDoubleOrNull() ?: fail("${parameter.name} must be a number, got '${Shown.cut(token)}'")
        if (!value.isFinite()) fail("${parameter.name} must be a finite number, got ${Shown.cut(token)}")
        return when (parameter.type.classifier) {
            // Digits are read as a long: through a double, 999999999999999900 would silently become ...872.
            // Phase lengths are Numbers that must be whole: a long too.
            Long::class, Number::class -> token.toLongOrNull() ?: value.toLong().also {
                if (it == Long.MAX_VALUE || it == Long.MIN_VALUE) fail("${parameter.name} must be a whole number below ${Long.MAX_VALUE}, got ${Shown.cut(token)}")
                if (it.toDouble() != value) fail("${parameter.name} must be a whole number, got ${Shown.cut(token)}")
            }
            else -> value
        }
    }

    private fun peek(): String? = tokens.getOrNull(position)?.text

    private fun next(what: String): String = tokens.getOrNull(position++)?.text ?: fail("expected $what at the end")

    private fun expect(text: String) {
        val got = tokens.getOrNull(position)
        if (got?.text != text) {
            fail("expected '$text'" + (got?.let { " at column ${it.column + 1}, got '${Shown.cut(it.text)}'" } ?: " at the end"))
        }
        position++
    }

    private fun fail(problem: String): Nothing = throw problem(text, problem)

    private data class Token(val text: String, val column: Int)

    private companion object {
        val PHASES: Map<String, KFunction<*>> = ScheduleScope::class.memberFunctions
            .filter { it.visibility == KVisibility.PUBLIC && it.returnType.classifier == Phases::class }
            .associateBy { it.name }

        val TOKEN = Regex("""-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|[(),=]""")

        fun problem(text: String, problem: String) = InvalidConfigException("schedule text ${Shown.quoted(text)}", problem)

        /** One pass over the text, in linear time however long it is. */
        fun tokenize(text: String): List<Token> {
            if (text.length > MAX_SCHEDULE_TEXT_LENGTH) {
                throw problem(text, "is longer than $MAX_SCHEDULE_TEXT_LENGTH characters")
            }
            val tokens = mutableListOf<Token>()
            var at = 0
            while (true) {
                while (at < text.length && text[at].isWhitespace()) at++
                if (at == text.length) return tokens
                val match = TOKEN.matchAt(text, at)
                    ?: throw problem(text, "cannot read '${Shown.cut(text.substring(at).trim())}' at column ${at + 1}")
                tokens += Token(match.value, at)
                at = match.range.last + 1
            }
        }
    }
}
