package dev.anneal.dsl

import dev.anneal.schedule.Duration

/**
 * A length of training where either unit is meant, [Steps] or [Epochs]:
 * `swa(start = 160.epochs, every = 1.epochs)`. Where only one unit makes sense, a function takes
 * that type alone.
 */
public sealed interface Length {
    /** The engine's [Duration]; a count below 1 is refused there. */
    public val duration: Duration
}

/**
 * A count of optimizer steps (batches), as callbacks take it: `lossMonitor(every = 500.steps)`.
 * Steps and [Epochs] are different types, so one cannot be given where the other is meant.
 */
@JvmInline
public value class Steps(
    /** How many steps. */
    public val count: Long,
) : Length {
    override val duration: Duration get() = Duration.steps(count)
}

/** A count of epochs, as callbacks take it: `earlyStopping(patience = 3.epochs)`. */
@JvmInline
public value class Epochs(
    /** How many epochs. */
    public val count: Int,
) : Length {
    override val duration: Duration get() = Duration.epochs(count.toLong())
}

/** This many optimizer steps. */
public val Int.steps: Steps get() = Steps(toLong())

/** This many optimizer steps. */
public val Long.steps: Steps get() = Steps(this)

/** This many epochs. */
public val Int.epochs: Epochs get() = Epochs(this)

/** An engine [Duration] in the DSL's units, for defaults the engine declares. */
internal val Duration.length: Length
    get() = when (unit()) {
        Duration.Unit.STEPS -> Steps(amount())
        Duration.Unit.EPOCHS -> Epochs(Math.toIntExact(amount()))
    }
