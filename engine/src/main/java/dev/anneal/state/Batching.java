package dev.anneal.state;

import dev.anneal.config.Checks;

/**
 * How a run cut its data into steps: {@code workers} replicas, each on {@code workerBatch} rows
 * of every global batch (one worker for a run on one machine). A checkpoint records it, because
 * the position it resumes at counts global batches: a run that cuts its epochs otherwise would
 * resume at other examples. The global batch is what must match; the number of workers need not
 * (two workers on 32 rows each resume as one worker on 64).
 */
public record Batching(int workers, int workerBatch) {
    public Batching {
        Checks c = new Checks("batching");
        c.require(workers >= 1, "workers", "must be at least 1, got " + workers);
        c.require(workerBatch >= 1, "workerBatch", "must be at least 1, got " + workerBatch);
        c.throwIfAny();
    }

    /** Rows of one step: every worker's batch. */
    public long globalBatch() {
        return (long) workers * workerBatch;
    }

    /** "2 workers with batches of 32 (64 rows a step)". */
    public String describe() {
        return workers + (workers == 1 ? " worker" : " workers") + " with batches of " + workerBatch + " (" + globalBatch()
                + " rows a step)";
    }
}
