package dev.anneal.dsl

import dev.anneal.config.InvalidConfigException
import dev.anneal.schedule.Duration
import dev.anneal.schedule.Phase
import dev.anneal.schedule.Timeline
import dev.anneal.schedule.Warmup

/**
 * A schedule as phases joined with `then`, each counting from its own start:
 * `schedule { warmup(steps = 500) then cosine(epochs = 10, peak = 1e-3) }`. It holds the engine's
 * [Timeline] (see [timeline]); one measured in epochs runs once the steps per epoch are known,
 * which a `pipeline { }` works out from its data.
 */
public fun schedule(block: ScheduleScope.() -> Phases): Scheduled {
    val scope = ScheduleScope()
    return Scheduled(scope.finish(scope.block()))
}

/** The phases of a `schedule { }`. */
public val Scheduled.timeline: Timeline
    get() = schedule as? Timeline ?: throw IllegalStateException("$schedule is not made of phases")

/** Phases in order; `then` appends. */
public class Phases internal constructor(internal val phases: List<Phase>) {
    /** These phases, then [next]'s. */
    public infix fun then(next: Phases): Phases = Phases(phases + next.phases)
}

/** What `schedule { }` offers: one function per kind of phase, each `steps =` or `epochs =` long. */
@AnnealDsl
public class ScheduleScope internal constructor() {
    /** Linear warmup from [from] to the next phase's first value, reached as that phase starts. */
    public fun warmup(steps: Number? = null, epochs: Number? = null, from: Double = Warmup.DEFAULT_START): Phases =
        one(Phase.warmup(duration("warmup", steps, epochs), from))

    /** Cosine decay from [peak] to [end] over the phase. */
    public fun cosine(
        steps: Number? = null,
        epochs: Number? = null,
        peak: Double,
        end: Double = Phase.Cosine.DEFAULT_END,
    ): Phases = one(Phase.cosine(duration("cosine", steps, epochs), peak, end))

    /** Linear from [from] to [to] over the phase. */
    public fun linear(from: Double, to: Double, steps: Number? = null, epochs: Number? = null): Phases =
        one(Phase.linear(duration("linear", steps, epochs), from, to))

    /** [value] throughout the phase. */
    public fun constant(value: Double, steps: Number? = null, epochs: Number? = null): Phases =
        one(Phase.constant(duration("constant", steps, epochs), value))

    private val made = mutableListOf<Phase>()

    private fun one(phase: Phase) = Phases(listOf(phase)).also { made += phase }

    /** The timeline of [phases], which must join every phase this scope made. */
    internal fun finish(phases: Phases): Timeline {
        if (phases.phases.size != made.size || !phases.phases.zip(made).all { (a, b) -> a === b }) {
            throw InvalidConfigException(
                "schedule", "makes ${made.size} phases but joins ${phases.phases.size} of them; join every phase " +
                    "with `then` (a phase on a line of its own is dropped)",
            )
        }
        return Timeline(phases.phases)
    }

    private fun duration(phase: String, steps: Number?, epochs: Number?): Duration = when {
        steps != null && epochs == null -> Duration.steps(whole("schedule.$phase.steps", steps))
        epochs != null && steps == null -> Duration.epochs(whole("schedule.$phase.epochs", epochs))
        else -> throw InvalidConfigException(
            "schedule.$phase", "needs its length as steps = N or as epochs = N, exactly one, got steps $steps and epochs $epochs",
        )
    }

    /** A length as written, an `Int` (a pipeline's `epochs`) or a `Long`; a fraction of a step or an epoch is refused. */
    private fun whole(path: String, length: Number): Long = when (length) {
        is Int, is Long, is Short, is Byte -> length.toLong()
        else -> throw InvalidConfigException(path, "must be a whole number of steps or epochs (an Int or a Long), got $length")
    }
}
