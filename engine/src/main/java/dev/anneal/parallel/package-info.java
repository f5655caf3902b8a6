/**
 * Data-parallel training: the {@link dev.anneal.parallel.Collective} through which the replicas of
 * one run exchange gradients and scalars (in-process for tests, TCP between processes), and the
 * exchange the supervised step makes with it. Free of Spark: the {@code anneal-spark} module
 * starts the replicas and hands each its collective.
 */
package dev.anneal.parallel;
