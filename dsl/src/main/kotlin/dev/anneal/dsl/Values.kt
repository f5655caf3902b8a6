package dev.anneal.dsl

import dev.anneal.schedule.Schedule

/**
 * A hyperparameter value that changes with the step: what `schedule { }` and the catalogue
 * functions ([stepLR], [cosineDecay], ...) return. It is a [Number] so that one argument takes a
 * constant or a schedule alike, `adam(lr = 1e-3)` or `adam(lr = schedule { ... })`, while a flag
 * such as `amsgrad` takes neither. As a plain number it reads as its first step's value; one
 * counted in epochs has none until the steps per epoch are known, and says so.
 */
public class Scheduled internal constructor(
    /** The engine's schedule. */
    public val schedule: Schedule,
) : Number() {
    private fun first(): Double = schedule.at(1)

    override fun toDouble(): Double = first()

    override fun toFloat(): Float = first().toFloat()

    override fun toLong(): Long = first().toLong()

    override fun toInt(): Int = first().toInt()

    override fun toShort(): Short = first().toInt().toShort()

    override fun toByte(): Byte = first().toInt().toByte()

    /** This schedule times [factor] at every step: a group's `lr = base * 0.1`. */
    public operator fun times(factor: Double): Scheduled = Scheduled(schedule.times(factor))

    override fun equals(other: Any?): Boolean = other is Scheduled && other.schedule == schedule

    override fun hashCode(): Int = schedule.hashCode()

    override fun toString(): String = schedule.toString()
}

/** Any engine schedule as a DSL value: `lr = Plateau.over(...).scheduled`. */
public val Schedule.scheduled: Scheduled get() = Scheduled(this)

/** The engine's form of a DSL value: a schedule as it is, a plain number as a constant. */
internal fun Number.toSchedule(): Schedule = if (this is Scheduled) schedule else Schedule.constant(toDouble())
