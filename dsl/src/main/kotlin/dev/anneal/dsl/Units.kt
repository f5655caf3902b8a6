package dev.anneal.dsl

/**
 * A count of optimizer steps (batches), as callbacks take it: `lossMonitor(every = 500.steps)`.
 * Steps and [Epochs] are different types, so one cannot be given where the other is meant.
 */
@JvmInline
public value class Steps(
    /** How many steps. */
    public val count: Long,
)

/** A count of epochs, as callbacks take it: `earlyStopping(patience = 3.epochs)`. */
@JvmInline
public value class Epochs(
    /** How many epochs. */
    public val count: Int,
)

/** This many optimizer steps. */
public val Int.steps: Steps get() = Steps(toLong())

/** This many optimizer steps. */
public val Long.steps: Steps get() = Steps(this)

/** This many epochs. */
public val Int.epochs: Epochs get() = Epochs(this)
