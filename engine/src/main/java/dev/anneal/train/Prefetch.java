package dev.anneal.train;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Reads batches ahead on an executor while the current one trains. Reads run one after another,
 * in order, so the batches and their order are those of the source; {@link #close} waits for the
 * reads in flight and frees the batches no one took, so nothing outlives the epoch.
 *
 * <p>Each batch read ahead moves to a manager of its own under {@code owner}: DJL's data
 * iterator frees every batch it made once it finds its end, which a read ahead reaches while
 * earlier batches still wait to be trained on.
 */
final class Prefetch implements Iterator<Batch>, AutoCloseable {
    private final Iterator<Batch> source;
    private final NDManager owner;
    private final Executor executor;
    private final int depth;
    private final ArrayDeque<CompletableFuture<Optional<Batch>>> ahead = new ArrayDeque<>();
    private CompletableFuture<Optional<Batch>> last = CompletableFuture.completedFuture(Optional.empty());
    private boolean exhausted;

    Prefetch(Iterator<Batch> source, NDManager owner, Executor executor, int depth) {
        this.source = source;
        this.owner = owner;
        this.executor = executor;
        this.depth = depth;
        fill();
    }

    private void fill() {
        while (!exhausted && ahead.size() < depth) {
            last = last.thenApplyAsync(ignored -> source.hasNext() ? Optional.of(moved(source.next())) : Optional.empty(),
                    executor);
            ahead.add(last);
        }
    }

    private Batch moved(Batch batch) {
        NDManager manager = owner.newSubManager();
        NDList data = batch.getData();
        NDList labels = batch.getLabels();
        data.attach(manager);
        labels.attach(manager);
        Batch own = new Batch(manager, data, labels, batch.getSize(), null, null, batch.getProgress(),
                batch.getProgressTotal(), batch.getIndices());
        batch.close();
        return own;
    }

    @Override
    public boolean hasNext() {
        if (exhausted) {
            return false;
        }
        Optional<Batch> head = await(ahead.peek());
        if (head.isEmpty()) {
            exhausted = true;
        }
        return head.isPresent();
    }

    @Override
    public Batch next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Batch batch = await(ahead.poll()).orElseThrow();
        fill();
        return batch;
    }

    private static Optional<Batch> await(CompletableFuture<Optional<Batch>> read) {
        try {
            return read.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    @Override
    public void close() {
        exhausted = true;
        for (CompletableFuture<Optional<Batch>> read : ahead) {
            try {
                read.join().ifPresent(Batch::close);
            } catch (CompletionException ignored) {
                // The read failed; there is no batch to free, and the loop is already ending.
            }
        }
        ahead.clear();
    }
}
