/**
 * Hyperparameter schedules: pure functions of the optimizer step. Every hyperparameter of every
 * optimizer is a {@link dev.anneal.schedule.Schedule}; a constant is the common case.
 * A schedule's optional arguments take its reference's defaults, declared once as its
 * {@code DEFAULT_} constants and used by a constructor or factory that leaves them out (and by the
 * Kotlin DSL's catalogue).
 */
package dev.anneal.schedule;
