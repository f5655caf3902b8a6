package dev.anneal.samples;

import java.io.PrintStream;

/**
 * The main job trained data-parallel ({@code ./anneal --workers N}): provided by the
 * {@code anneal-spark} module, found through {@link java.util.ServiceLoader}, so that the samples
 * do not need Spark on their classpath.
 */
public interface DataParallelJob {
    /** Trains {@code job} on {@code workers} replicas, printing on {@code out}; returns the test accuracy. */
    double run(JobSettings job, int workers, PrintStream out) throws Exception;
}
