package dev.anneal.train;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.loss.Loss;
import ai.djl.translate.TranslateException;
import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;
import dev.anneal.config.Violation;
import dev.anneal.data.EpochAware;
import dev.anneal.data.Examples;
import dev.anneal.data.IdxDataset;
import dev.anneal.data.RankSlices;
import dev.anneal.optim.Hyperparameter;
import dev.anneal.optim.Optimizer;
import dev.anneal.optim.WeightAverage;
import dev.anneal.parallel.Collective;
import dev.anneal.parallel.GradientExchange;
import dev.anneal.parallel.Replicas;
import dev.anneal.param.ParameterSet;
import dev.anneal.run.RunFolder;
import dev.anneal.state.Batching;
import dev.anneal.state.Checkpoint;
import dev.anneal.state.CheckpointFile;
import dev.anneal.state.CheckpointPolicy;
import dev.anneal.state.Settings;
import dev.anneal.train.metric.Metric;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * A training loop over a DJL block with Anneal optimizers: per batch one {@link TrainingStep}
 * (by default the {@link SupervisedStep}: forward, loss, backward, gradient transforms, one
 * optimizer step); per epoch the validation metrics, if a validation set is given. It reports
 * every batch and epoch to its callbacks. Cancellation and a callback's stop are honoured between
 * batches only, so the model, the optimizers and their step counters always stand after a whole
 * number of steps. Batches can be read ahead on another executor ({@link Builder#prefetch}).
 *
 * <p>With a {@link CheckpointPolicy} the loop writes {@link Checkpoint}s between batches; a loop
 * {@link Builder#resumeFrom resumed} from one continues at its epoch and batch, and, when the
 * training set is {@link EpochAware} (a seeded shuffle), trains on the same batches in the same
 * order as the uninterrupted run, with the same parameters, bit for bit. Callbacks keep no
 * checkpointed state: a resumed early stopping counts its patience afresh. A resume is all or
 * nothing: the checkpoint is read and checked against this run, and its batch found in the data,
 * before anything is put into the model or the optimizers.
 *
 * <p>A loss that is NaN or infinite stops the run at once, before that batch is reported or
 * checkpointed: the supervised step has skipped its update, so the parameters and every
 * checkpoint are those of the last finite step. A step of your own must skip its own update.
 *
 * <p>With {@link Builder#accumulate accumulation} the supervised step adds up the gradients of k
 * batches and steps once ({@link Accumulation}): events still come once per batch, and their
 * {@code step} moves once per k. A checkpoint is written only at a step boundary, where the
 * gradients are clear, so it needs no accumulated gradients or position in a group, and a run
 * resumed from it forms the same groups as the unbroken one. One due where a group is open (an
 * epoch's end under {@link Accumulation.EndOfEpoch#CARRY}) is written at the next step instead. A
 * run stopped inside a group (cancelled, a callback's stop) drops that group's gradients: the
 * next run starts from cleared gradients.
 *
 * <p>{@link Builder#dataParallel Data-parallel}, the loop is one replica of several, each on its
 * own slice of every global batch: rank 0's parameters are sent to all before the first step (a
 * resumed run reads the checkpoint on every rank instead), the supervised step trains on the
 * gradient of the global batch ({@link GradientExchange}), every event reports the global batch's
 * loss, only rank 0 writes checkpoints and run folders (every rank reports them, so that all see
 * the same events), and the replicas' parameters and optimizer state are compared by digest
 * ({@link Replicas}) every so many steps, after a resume and at each epoch's end: replicas that
 * drift apart stop the run with an error. Before each validation every rank takes rank 0's
 * statistics (batch norm's running mean and variance, which each rank gathers from its own
 * rows), so all measure the same model. A stop, by a callback or a cancellation, is agreed after
 * each batch: when one replica stops, all stop there.
 */
public final class TrainingLoop {
    /** The name of the optimizer given with {@link Builder#optimizer(Optimizer)}. */
    public static final String DEFAULT_OPTIMIZER = "default";
    /** Steps between two logged step rows of the {@link History} by default. */
    public static final long DEFAULT_LOG_EVERY = 10;

    private final Block block;
    private final Map<String, Optimizer<?>> optimizers;
    private final Optimizer<?> first;
    private final TrainingStep step;
    private final Dataset train;
    private final Dataset validation;
    private final List<Metric> metrics;
    private final int epochs;
    private final List<Callback> callbacks;
    private final NDManager manager;
    private final BooleanSupplier cancelled;
    private final Executor prefetchExecutor;
    private final int prefetchDepth;
    private final CheckpointPolicy checkpoints;
    private final Path bestCheckpoint;
    private final Monitor bestBy;
    private final Path finalCheckpoint;
    private final Path resumeFrom;
    private final boolean acceptChangedSettings;
    /** The step this loop made, null for a step of the caller's own. */
    private final SupervisedStep supervised;
    private final Accumulation accumulation;
    private final long logEvery;
    /** The other replicas of a data-parallel run, and the exchange with them; null when training alone. */
    private final Collective collective;
    private final GradientExchange exchange;
    private final long replicaCheckEvery;
    /** This replica's slices of the global batches, for a sharded training set; null otherwise. */
    private final RankSlices shard;
    /** False on a data-parallel replica other than rank 0, which reports checkpoints as rank 0 writes them. */
    private final boolean writes;
    /** How this run cuts its data into steps, recorded in its checkpoints; null when its batch size is unknown. */
    private final Batching batching;

    private TrainingLoop(Builder b) {
        Checks c = new Checks("trainingLoop");
        c.require(b.block != null, "block", "is required");
        c.require(!b.optimizers.isEmpty(), "optimizer", "is required");
        c.require(b.step != null || b.loss != null, "loss", "is required (or a step of your own)");
        c.require(b.step == null || b.transforms.isEmpty(), "gradientTransform",
                "belongs to the supervised step; a step of your own applies its own");
        b.accumulate.check(c.at("accumulate"));
        c.require(b.step == null || b.accumulate.batches() == 1, "accumulate",
                "belongs to the supervised step; a step of your own steps when it likes");
        c.require(b.step != null || b.optimizers.size() == 1, "step",
                "is required with several optimizers " + b.optimizers.keySet() + " (which one steps when?)");
        c.require(b.train != null, "train", "is required");
        c.require(b.manager != null, "manager", "is required");
        c.require(b.epochs >= 1, "epochs", "must be at least 1, got " + b.epochs);
        c.require(b.logEvery >= 1, "logEvery", "must be at least 1 step, got " + b.logEvery);
        c.require(b.metrics.isEmpty() || b.validation != null, "metrics", "need a validation set to measure on");
        int workerBatch = 0;
        if (b.collective != null) {
            c.require(b.step == null, "dataParallel", "belongs to the supervised step; a step of your own exchanges"
                    + " its own gradients");
            c.require(b.replicaCheckEvery >= 1, "replicaCheckEvery", "must be at least 1 step, got " + b.replicaCheckEvery);
            if (b.train instanceof Examples examples && examples.batchSize().isPresent()) {
                workerBatch = examples.batchSize().getAsInt();
            } else if (b.train != null) {
                c.fail("train", "must have a fixed batch size (an IdxDataset) for data-parallel training: the replicas"
                        + " weigh their batches by it");
            }
            if (b.train instanceof IdxDataset idx) {
                idx.shard().ifPresentOrElse(shard -> c.require(shard.rank() == b.collective.rank()
                                && shard.workers() == b.collective.size(), "train", "is the shard of rank " + shard.rank()
                                + " of " + shard.workers() + ", but this replica is rank " + b.collective.rank() + " of "
                                + b.collective.size()),
                        () -> c.fail("train", "is not sharded: every replica would train on the same batches;"
                                + " build it with shard(batchSize, seed, rank, workers)"));
            }
        }
        Set<String> metricNames = new HashSet<>();
        for (Metric metric : b.metrics) {
            c.require(metricNames.add(metric.name()), "metrics",
                    "name " + metric.name() + " twice; each figure is reported once");
        }
        // Nothing to train is a mistake, found here rather than as a run of NaN figures.
        b.optimizers.forEach((name, optimizer) -> c.require(!optimizer.groups().isEmpty(),
                "optimizer[\"" + name + "\"]", "has no trainable parameter (none given, or all frozen): nothing to train"));
        if (b.block != null && b.train != null) {
            DataChecks.check(c, "train", b.train, b.block, true, b.step == null);
        }
        if (b.block != null && b.validation != null) {
            DataChecks.check(c, "validation", b.validation, b.block, false, true);
        }
        c.throwIfAny();
        if (b.validation != null && b.optimizers.values().stream()
                .anyMatch(o -> o.weightAverage().filter(WeightAverage::recomputesBatchNorm).isPresent())) {
            // Refuses a running statistic the first validation of the average could not recompute, now, not epochs in.
            BatchNormStats.present(b.block);
        }
        this.block = b.block;
        this.optimizers = Collections.unmodifiableMap(new LinkedHashMap<>(b.optimizers));
        this.first = optimizers.values().iterator().next();
        this.accumulation = b.accumulate.checked();
        this.exchange = b.collective != null && b.step == null ? new GradientExchange(b.collective, workerBatch) : null;
        this.supervised = b.step != null ? null
                : new SupervisedStep(b.block, b.loss, optimizers.keySet().iterator().next(), b.transforms, accumulation,
                exchange);
        this.collective = b.collective;
        this.replicaCheckEvery = b.replicaCheckEvery;
        this.shard = b.train instanceof IdxDataset idx ? idx.shard().orElse(null) : null;
        this.batching = b.train instanceof Examples examples && examples.batchSize().isPresent()
                ? new Batching(collective != null ? collective.size() : 1, examples.batchSize().getAsInt()) : null;
        this.writes = collective == null || collective.rank() == 0;
        this.step = b.step != null ? b.step : supervised;
        this.train = b.train;
        this.validation = b.validation;
        this.metrics = b.validation != null ? Evaluation.orAccuracy(b.metrics) : List.copyOf(b.metrics);
        this.epochs = b.epochs;
        List<Callback> told = new ArrayList<>(b.callbacks);
        if (b.runFolder != null && writes) {
            told.add(RunFolder.create(b.runFolder, optimizers));
        }
        this.callbacks = List.copyOf(told);
        this.manager = b.manager;
        this.cancelled = b.cancelled;
        this.prefetchExecutor = b.prefetchExecutor;
        this.prefetchDepth = b.prefetchDepth;
        this.checkpoints = b.checkpoints;
        if (b.runFolder != null) {
            this.bestCheckpoint = b.runFolder.resolve(RunFolder.BEST);
            this.bestBy = b.runFolderBestBy != null ? b.runFolderBestBy : Monitor.of(metrics.stream()
                    .anyMatch(m -> m.name().equals("loss")) && validation != null ? History.VALIDATION + "loss"
                    : History.TRAIN_LOSS, Monitor.Mode.MIN);
            this.finalCheckpoint = b.runFolder.resolve(RunFolder.FINAL);
        } else {
            this.bestCheckpoint = b.bestCheckpoint;
            this.bestBy = b.bestBy;
            this.finalCheckpoint = b.finalCheckpoint;
        }
        this.resumeFrom = b.resumeFrom;
        this.acceptChangedSettings = b.acceptChangedSettings;
        this.logEvery = b.logEvery;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Trains until every epoch has run, the run is cancelled, or a callback stops it. */
    public TrainingResult run() throws IOException, TranslateException {
        return run(cancelled);
    }

    /**
     * Trains on {@code executor}, for Java callers who want a future. Cancelling the future stops
     * the loop at the next batch boundary; the loop finishes its current step on the executor's
     * thread after {@code cancel} returns (wait for the executor to know it has).
     */
    public CompletableFuture<TrainingResult> start(Executor executor) {
        AtomicBoolean stopRequested = new AtomicBoolean();
        CompletableFuture<TrainingResult> future = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                stopRequested.set(true);
                return super.cancel(mayInterruptIfRunning);
            }
        };
        executor.execute(() -> {
            try {
                future.complete(run(() -> stopRequested.get() || cancelled.getAsBoolean()));
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        });
        return future;
    }

    private TrainingResult run(BooleanSupplier cancelled) throws IOException, TranslateException {
        ParameterStore store = new ParameterStore(manager, false);
        TrainingStep.Context context = new TrainingStep.Context() {
            @Override
            public ParameterStore store() {
                return store;
            }

            @Override
            public Optimizer<?> optimizer(String name) {
                Optimizer<?> optimizer = optimizers.get(name);
                if (optimizer == null) {
                    throw new InvalidConfigException("trainingLoop.optimizer", "has no optimizer named \"" + name
                            + "\"; names are " + optimizers.keySet());
                }
                return optimizer;
            }
        };
        String[] stop = {null};
        Callback.Control control = reason -> stop[0] = Objects.requireNonNull(reason, "reason");
        ParameterSet model = checkpoints != null || resumeFrom != null || bestCheckpoint != null || finalCheckpoint != null
                || collective != null ? ParameterSet.of(block) : null;
        int startEpoch = 0;
        long skip = 0;
        // A checkpoint is read and checked first, and put into the model and optimizers only once
        // its batch is known to exist: a refused resume changes nothing.
        try (Pending pending = resumeFrom != null ? readCheckpoint(model) : null) {
            if (pending != null) {
                startEpoch = pending.checkpoint.epoch();
                skip = pending.checkpoint.batch();
                if (startEpoch == epochs) {
                    pending.restoreInto(model, optimizers);
                }
            } else if (collective != null) {
                Replicas.broadcastParameters(collective, model, true); // each replica initialized its own; rank 0's win
            }
            return train(model, pending, startEpoch, skip, context, control, stop, cancelled);
        } catch (IOException | TranslateException | RuntimeException | Error e) {
            for (Callback callback : callbacks) { // every one is told, whichever throws
                try {
                    callback.on(new TrainingEvent.Failed(e), reason -> { });
                } catch (RuntimeException alsoFailed) {
                    e.addSuppressed(alsoFailed);
                }
            }
            throw e;
        }
    }

    /** A checkpoint read and checked, to be put into the run once its batch is found; its arrays are freed then. */
    private record Pending(Checkpoint checkpoint, NDManager arrays) implements AutoCloseable {
        void restoreInto(ParameterSet model, Map<String, Optimizer<?>> optimizers) {
            try {
                checkpoint.restore(model, optimizers);
            } finally {
                arrays.close();
            }
        }

        @Override
        public void close() {
            arrays.close();
        }
    }

    private TrainingResult train(ParameterSet model, Pending pending, int startEpoch, long skip,
                                 TrainingStep.Context context, Callback.Control control, String[] stop,
                                 BooleanSupplier cancelled) throws IOException, TranslateException {
        double meanLoss = Double.NaN;
        Map<String, Double> measured = Map.of();
        int completed = startEpoch;
        History history = new History();
        long runStart = System.nanoTime();
        long logged = -1;
        List<String> epochFigures = new ArrayList<>(List.of(History.TRAIN_LOSS));
        if (validation != null) {
            metrics.forEach(m -> epochFigures.add(History.VALIDATION + m.name()));
        }
        if (bestCheckpoint != null) {
            Monitor.requireMeasured("trainingLoop.bestCheckpoint", bestBy.figure(), epochFigures);
        }
        emit(new TrainingEvent.Started(epochs, epochFigures), control);
        BestCheckpoint best = bestCheckpoint != null ? new BestCheckpoint(bestCheckpoint, bestBy, pending != null, writes) : null;
        boolean finite = true; // the run did not stop at a NaN or infinite loss
        int atEpoch = startEpoch; // where the run is, for the final checkpoint
        long atBatch = skip;
        if (supervised != null) {
            supervised.begin(context);
        }
        boolean owed = false; // a checkpoint due where a group was open, written at the next step
        long compared = -1; // the step whose replicas were last compared
        for (int epoch = startEpoch; epoch < epochs && stop[0] == null; epoch++) {
            long start = System.nanoTime();
            double lossSum = 0;
            long trained = 0;
            long batch = 0;
            long batches = -1;
            if (train instanceof EpochAware ordered) {
                ordered.startEpoch(epoch);
            }
            try (NDManager epochManager = manager.newSubManager();
                 Batches data = batches(epochManager)) {
                for (; batch < skip && data.iterator.hasNext(); batch++) {
                    data.iterator.next().close(); // trained before the checkpoint this run resumed from
                }
                if (batch < skip) {
                    throw resumeRefused(List.of(new Violation("checkpoint.header.batch", "is " + skip
                            + ", but epoch " + epoch + " has only " + batch + " batches")));
                }
                skip = 0;
                if (pending != null) {
                    pending.restoreInto(model, optimizers);
                    pending = null;
                    if (collective != null) {
                        Replicas.compare(collective, model, optimizers); // every rank read the same file
                    }
                }
                while (data.iterator.hasNext()) {
                    if (collective == null && cancelled.getAsBoolean()) { // replicas agree on it after each batch
                        stop[0] = "cancelled";
                        break;
                    }
                    long batchStart = System.nanoTime();
                    try (Batch next = data.iterator.next()) {
                        if (batches < 0) {
                            batches = batchesPerEpoch(next.getSize());
                        }
                        if (exchange != null && shard != null) {
                            exchange.expectGlobalRows(shard.globalRows(((IdxDataset) train).size(), batch)); // an epoch's last may be short
                        }
                        double value = step.run(next, context);
                        if (!Double.isFinite(value)) {
                            // Before any checkpoint: a run resumed from it would train on from NaN.
                            finite = false;
                            stop[0] = "loss is " + value + " in epoch " + epoch + ", batch " + (batch + 1)
                                    + "; stopped with the parameters of step " + first.stepCount();
                            break;
                        }
                        if (supervised != null && supervised.pending() > 0
                                && accumulation.stepsAtEndOf(epoch, epochs) && !data.iterator.hasNext()) {
                            supervised.finishGroup(context); // before the last batch is reported, with its step
                        }
                        lossSum += value;
                        trained++;
                        batch++;
                        atEpoch = epoch;
                        atBatch = batch;
                        emit(new TrainingEvent.BatchEnd(epoch, epochs, batch, batches, first.stepCount(), value,
                                lossSum / trained, (System.nanoTime() - batchStart) / 1e6, learningRate(),
                                first.gradNorm(), first.lossScale(), first.skippedSteps()), control);
                        long now = first.stepCount();
                        if (now != logged && (now % logEvery == 0 || !data.iterator.hasNext())) {
                            log(history, stepRow(epoch, value, lossSum / trained, runStart), control);
                            logged = now;
                        }
                    }
                    if (checkpoints != null && settled() && (owed || checkpoints.dueAtStep(first.stepCount()))) {
                        checkpoint(epoch, batch, model, control);
                        owed = false;
                    }
                    if (collective != null && first.stepCount() != compared
                            && first.stepCount() % replicaCheckEvery == 0) {
                        Replicas.compare(collective, model, optimizers);
                        compared = first.stepCount();
                    }
                    if (collective != null) {
                        agreeToStop(stop, cancelled);
                    }
                    if (stop[0] != null) {
                        break;
                    }
                }
            }
            if (batch == 0 && stop[0] == null) {
                throw new InvalidConfigException("trainingLoop.train", "gave no batch in epoch " + epoch
                        + ": the set is empty, or its sampler drops every batch (a batch larger than the data)");
            }
            meanLoss = trained == 0 ? Double.NaN : lossSum / trained;
            if (stop[0] != null) {
                break;
            }
            if (collective != null && first.stepCount() != compared) {
                Replicas.compare(collective, model, optimizers);
                compared = first.stepCount();
            }
            if (collective != null && validation != null) {
                Replicas.broadcastParameters(collective, model, false);
            }
            if (validation != null) {
                measured = validate(context.store());
                emit(new TrainingEvent.Validated(epoch, first.stepCount(), measured), control);
            }
            completed++;
            emit(new TrainingEvent.EpochEnd(epoch, epochs, first.stepCount(), batch, meanLoss,
                    (System.nanoTime() - start) / 1e6, measured.getOrDefault("accuracy", Double.NaN)), control);
            Map<String, Double> figures = new LinkedHashMap<>();
            figures.put(History.TRAIN_LOSS, meanLoss);
            measured.forEach((name, value) -> figures.put(History.VALIDATION + name, value));
            figures.put(History.TIME, (System.nanoTime() - runStart) / 1e9);
            History.Row row = new History.Row(History.Kind.EPOCH, epoch, first.stepCount(), figures);
            log(history, row, control);
            atEpoch = epoch + 1;
            atBatch = 0;
            if (best != null && settled() && best.improvedBy(row.get(bestBy.figure()))) {
                keep(bestCheckpoint, atEpoch, 0, model, control);
                best.kept(row.get(bestBy.figure()));
            }
            if (checkpoints != null && checkpoints.dueAtEpochEnd(epoch)) {
                if (settled()) {
                    checkpoint(epoch + 1, 0, model, control);
                } else {
                    owed = true;
                }
            }
            if (collective != null) {
                agreeToStop(stop, () -> false); // an early stopping at the epoch's end
            }
        }
        if (startEpoch >= epochs && validation != null) {
            measured = validate(context.store()); // resumed at its end: nothing to train, the restored model's figures
        }
        // Not after a non-finite loss (a step of the caller's own may have stepped on it), nor
        // before a resumed run's checkpoint went in (stopped before its first batch).
        if (finalCheckpoint != null && settled() && startEpoch < epochs && finite && pending == null) {
            keep(finalCheckpoint, atEpoch, atBatch, model, control);
        }
        if (stop[0] != null) {
            emit(new TrainingEvent.Stopped(completed, first.stepCount(), stop[0]), reason -> { });
        }
        return new TrainingResult(completed, first.stepCount(), meanLoss,
                measured.getOrDefault("accuracy", Double.NaN), stop[0], measured, history);
    }

    /**
     * Makes a replica's stop everyone's: each says whether it stops here (a callback's stop, a
     * cancellation), and if any does, all do, naming why where the reason is not their own.
     */
    private void agreeToStop(String[] stop, BooleanSupplier cancelled) {
        boolean cancel = stop[0] == null && cancelled.getAsBoolean();
        float[] wanted = {stop[0] != null || cancel ? 1f : 0f};
        collective.sum(wanted);
        if (stop[0] == null && wanted[0] > 0) {
            stop[0] = cancel ? "cancelled" : "stopped by another replica";
        }
    }

    private void log(History history, History.Row row, Callback.Control control) {
        history.add(row);
        emit(new TrainingEvent.Logged(row), control);
    }

    /**
     * A logged step's row: the batch's loss, the epoch's mean so far, every group's numeric
     * hyperparameters as {@code <name>/<group>} ({@code lr/conv}), the gradient norm under
     * clipping, and the loss scale and skipped steps where scaling or skipping is on. With several
     * optimizers each group is {@code <optimizer>.<group>} and each optimizer's own figures are
     * {@code <figure>/<optimizer>}.
     */
    private History.Row stepRow(int epoch, double loss, double meanLoss, long runStart) {
        Map<String, Double> values = new LinkedHashMap<>();
        values.put(History.LOSS, loss);
        values.put(History.MEAN_LOSS, meanLoss);
        optimizers.forEach((name, optimizer) -> {
            boolean several = optimizers.size() > 1;
            for (String group : optimizer.groups()) {
                String who = several ? name + "." + group : group;
                optimizer.currentValues(group).forEach((key, value) -> {
                    if (value instanceof Number n) {
                        values.put(key + "/" + who, n.doubleValue());
                    }
                });
            }
            String own = several ? "/" + name : "";
            if (!Double.isNaN(optimizer.gradNorm())) {
                values.put("grad_norm" + own, optimizer.gradNorm());
            }
            if (optimizer.lossScale() != 1 || optimizer.skippedSteps() > 0) {
                values.put("loss_scale" + own, (double) optimizer.lossScale());
                values.put("skipped_steps" + own, (double) optimizer.skippedSteps());
            }
        });
        values.put(History.TIME, (System.nanoTime() - runStart) / 1e9);
        return new History.Row(History.Kind.STEP, epoch, first.stepCount(), values);
    }

    /** Whether the gradients hold nothing a checkpoint would lose; a step of the caller's own answers for itself. */
    private boolean settled() {
        return supervised == null || supervised.settled();
    }

    /**
     * The checkpoint to resume from, checked against this run (its epoch within the run's, its
     * parameters, optimizers and plateaus this run's) but not yet put into it.
     */
    private Pending readCheckpoint(ParameterSet model) throws IOException {
        NDManager loading = manager.newSubManager();
        try {
            Checkpoint saved = CheckpointFile.read(resumeFrom, loading);
            Checks c = new Checks("checkpoint.header");
            c.require(saved.epoch() <= epochs, "epoch", "is " + saved.epoch() + ", past this run's " + epochs
                    + " epochs");
            c.require(saved.epoch() < epochs || saved.batch() == 0, "batch", "is " + saved.batch()
                    + " in epoch " + saved.epoch() + ", after this run's last epoch");
            c.require(acceptChangedSettings || saved.batching() == null || batching == null
                            || saved.batching().globalBatch() == batching.globalBatch(), "batching",
                    "was written by " + (saved.batching() != null ? saved.batching().describe() : "") + ", but this run"
                            + " has " + (batching != null ? batching.describe() : "") + "; a checkpoint's place counts"
                            + " global batches, which this run cuts otherwise: resume with the same rows a step (or"
                            + " acceptChangedSettings, to train on from there anyway)");
            c.throwIfAny();
            saved.check(model, optimizers);
            if (!acceptChangedSettings) {
                Map<String, Long> steps = new LinkedHashMap<>();
                saved.optimizers().forEach((name, state) -> steps.put(name, state.step()));
                List<Violation> changed = Settings.changes(saved.settings(), optimizers, steps);
                if (!changed.isEmpty()) {
                    changed.add(new Violation("trainingLoop.acceptChangedSettings", "is false: the run's spec is not the one"
                            + " that wrote the checkpoint; set it to train on with this run's settings"));
                    throw new InvalidConfigException(changed);
                }
            }
            return new Pending(saved, loading);
        } catch (InvalidConfigException e) {
            loading.close();
            throw resumeRefused(e.violations());
        } catch (IOException | RuntimeException e) {
            loading.close();
            throw e;
        }
    }

    /** The problems found, after one that says which file they are in. */
    private InvalidConfigException resumeRefused(List<Violation> problems) {
        List<Violation> all = new ArrayList<>();
        all.add(new Violation("trainingLoop.resumeFrom", "cannot resume from " + resumeFrom
                + "; nothing was changed"));
        all.addAll(problems);
        return new InvalidConfigException(all);
    }

    /** Writes the state after {@code batch} batches of {@code epoch} as the policy says, then reports where. */
    private void checkpoint(int epoch, long batch, ParameterSet model, Callback.Control control) {
        Path file = checkpoints.fileFor(first.stepCount());
        try {
            if (writes) {
                checkpoints.save(first.stepCount(), Checkpoint.capture(epoch, batch, model, optimizers, batching));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + file, e);
        }
        emit(new TrainingEvent.Checkpointed(epoch, batch, first.stepCount(), file), control);
    }

    /** Writes the state after {@code batch} batches of {@code epoch} into {@code file}, replacing it atomically. */
    private void keep(Path file, int epoch, long batch, ParameterSet model, Callback.Control control) {
        try {
            if (writes) {
                CheckpointFile.write(file, Checkpoint.capture(epoch, batch, model, optimizers, batching));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + file, e);
        }
        emit(new TrainingEvent.Checkpointed(epoch, batch, first.stepCount(), file), control);
    }

    /** An epoch's batches, read ahead when asked; closing frees what was read and not trained on. */
    private record Batches(Iterator<Batch> iterator, Prefetch prefetch) implements AutoCloseable {
        @Override
        public void close() {
            if (prefetch != null) {
                prefetch.close();
            }
        }
    }

    private Batches batches(NDManager epochManager) throws IOException, TranslateException {
        Iterator<Batch> source = train.getData(epochManager).iterator();
        if (prefetchExecutor == null) {
            return new Batches(source, null);
        }
        Prefetch prefetch = new Prefetch(source, epochManager, prefetchExecutor, prefetchDepth);
        return new Batches(prefetch, prefetch);
    }

    /**
     * The metrics on the validation set; when optimizers keep an average of the weights, also
     * with the averages swapped in, each under the average's name ({@code "ema.accuracy"},
     * {@code "swa.accuracy"}), once some parameter's average has started. Optimizers keeping the
     * same kind of average are swapped in together. For an average that asks for it (SWA), the
     * batch-norm statistics are recomputed for it with a pass over the training data
     * ({@link BatchNormStats}, PyTorch's {@code update_bn}), and put back afterwards with the weights.
     */
    private Map<String, Double> validate(ParameterStore store) throws IOException, TranslateException {
        Map<String, Double> values = new LinkedHashMap<>(measure(store));
        Map<String, List<Optimizer<?>>> byAverage = new LinkedHashMap<>();
        for (Optimizer<?> optimizer : optimizers.values()) {
            optimizer.weightAverage().ifPresent(average ->
                    byAverage.computeIfAbsent(average.name(), name -> new ArrayList<>()).add(optimizer));
        }
        for (Map.Entry<String, List<Optimizer<?>>> kind : byAverage.entrySet()) {
            List<Optimizer<?>> averaging = kind.getValue();
            if (averaging.stream().noneMatch(Optimizer::averagesStarted)) {
                continue;
            }
            boolean recompute = averaging.stream().anyMatch(o -> o.weightAverage().orElseThrow().recomputesBatchNorm())
                    && BatchNormStats.present(block);
            List<Optimizer<?>> swapped = new ArrayList<>();
            BatchNormStats.Snapshot kept = null;
            try {
                for (Optimizer<?> optimizer : averaging) {
                    optimizer.swapAverages();
                    swapped.add(optimizer); // only those swapped in are swapped back, if a later one refuses
                }
                if (recompute) {
                    kept = BatchNormStats.snapshot(block);
                    BatchNormStats.recompute(block, train, manager);
                }
                measure(store).forEach((name, value) -> values.put(kind.getKey() + "." + name, value));
            } finally {
                if (kept != null) {
                    kept.restore();
                }
                swapped.forEach(Optimizer::swapAverages);
            }
        }
        return Collections.unmodifiableMap(values);
    }

    private Map<String, Double> measure(ParameterStore store) throws IOException, TranslateException {
        return Evaluation.measure(block, validation, metrics, store, manager);
    }

    private long batchesPerEpoch(long batchSize) {
        if (shard != null) {
            return shard.batches(((IdxDataset) train).size()); // the data's size over this replica's batch would count N times too many
        }
        if (train instanceof RandomAccessDataset dataset && batchSize > 0) {
            return (dataset.size() + batchSize - 1) / batchSize;
        }
        return -1;
    }

    private double learningRate() {
        return first.current(first.groups().get(0), Hyperparameter.LR);
    }

    private void emit(TrainingEvent event, Callback.Control control) {
        for (Callback callback : callbacks) {
            callback.on(event, control);
        }
    }

    /** Configures a {@link TrainingLoop}. */
    public static final class Builder {
        private Block block;
        private Loss loss;
        private final Map<String, Optimizer<?>> optimizers = new LinkedHashMap<>();
        private TrainingStep step;
        private final List<GradientTransform> transforms = new ArrayList<>();
        private Dataset train;
        private Dataset validation;
        private final List<Metric> metrics = new ArrayList<>();
        private int epochs = 1;
        private long logEvery = DEFAULT_LOG_EVERY;
        private final List<Callback> callbacks = new ArrayList<>();
        private NDManager manager;
        private BooleanSupplier cancelled = () -> false;
        private Executor prefetchExecutor;
        private int prefetchDepth;
        private CheckpointPolicy checkpoints;
        private Path bestCheckpoint;
        private Monitor bestBy;
        private Path finalCheckpoint;
        private Path runFolder;
        private Monitor runFolderBestBy;
        private Path resumeFrom;
        private boolean acceptChangedSettings;
        private Accumulation.Unchecked accumulate = Accumulation.Unchecked.DEFAULT;
        private Collective collective;
        private long replicaCheckEvery = Replicas.DEFAULT_CHECK_EVERY;

        public Builder block(Block block) {
            this.block = block;
            return this;
        }

        public Builder loss(Loss loss) {
            this.loss = loss;
            return this;
        }

        /** The one optimizer of a supervised run, named {@value #DEFAULT_OPTIMIZER}. */
        public Builder optimizer(Optimizer<?> optimizer) {
            return optimizer(DEFAULT_OPTIMIZER, optimizer);
        }

        /**
         * One of several optimizers, each over its own part of the model (a GAN's discriminator
         * and generator); a {@link #step} of your own says when each steps. Events report the
         * step counter and learning rate of the first one added.
         */
        public Builder optimizer(String name, Optimizer<?> optimizer) {
            Objects.requireNonNull(optimizer, "optimizer");
            if (optimizers.putIfAbsent(name, optimizer) != null) {
                throw new InvalidConfigException("trainingLoop.optimizer", "\"" + name
                        + "\" is given twice; optimizer names must be unique");
            }
            return this;
        }

        /** What to do with each batch, instead of the supervised step. */
        public Builder step(TrainingStep step) {
            this.step = Objects.requireNonNull(step, "step");
            return this;
        }

        /**
         * Runs on the gradients between backward and the update of the supervised step, in order;
         * with accumulation, once per step on the group's gradients.
         */
        public Builder gradientTransform(GradientTransform transform) {
            transforms.add(Objects.requireNonNull(transform, "transform"));
            return this;
        }

        /** One optimizer step per {@code batches} batches, on the mean of their gradients ({@link Accumulation}). */
        public Builder accumulate(int batches) {
            return accumulate(batches, Accumulation.DEFAULT_MODE, Accumulation.DEFAULT_END_OF_EPOCH);
        }

        /**
         * One optimizer step per {@code batches} batches, their gradients combined as {@code mode};
         * an epoch's partial group does as {@code endOfEpoch} says ({@link Accumulation}).
         */
        public Builder accumulate(int batches, Accumulation.Mode mode, Accumulation.EndOfEpoch endOfEpoch) {
            this.accumulate = new Accumulation.Unchecked(batches, mode, endOfEpoch);
            return this;
        }

        public Builder train(Dataset train) {
            this.train = train;
            return this;
        }

        /** A set to measure the metrics on after each epoch (accuracy unless others are given). */
        public Builder validation(Dataset validation) {
            this.validation = validation;
            return this;
        }

        /** A figure to measure on the validation set after each epoch. */
        public Builder metric(Metric metric) {
            metrics.add(Objects.requireNonNull(metric, "metric"));
            return this;
        }

        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /** Steps between two step rows of the run's {@link History} ({@link #DEFAULT_LOG_EVERY}); an epoch's last step is always logged. */
        public Builder logEvery(long steps) {
            this.logEvery = steps;
            return this;
        }

        public Builder callback(Callback callback) {
            callbacks.add(Objects.requireNonNull(callback, "callback"));
            return this;
        }

        /** The manager the model's parameters live in; batches and evaluation use sub-managers of it. */
        public Builder manager(NDManager manager) {
            this.manager = manager;
            return this;
        }

        /** Asked before each batch; true stops the run there (a coroutine's cancellation, say). */
        public Builder cancelled(BooleanSupplier cancelled) {
            this.cancelled = Objects.requireNonNull(cancelled, "cancelled");
            return this;
        }

        /**
         * Reads up to {@code depth} batches ahead on {@code executor} while the current one
         * trains; the batches and their order do not change.
         */
        public Builder prefetch(Executor executor, int depth) {
            if (depth < 1) {
                throw new InvalidConfigException("trainingLoop.prefetch.depth", "must be at least 1, got " + depth);
            }
            this.prefetchExecutor = Objects.requireNonNull(executor, "executor");
            this.prefetchDepth = depth;
            return this;
        }

        /** Writes checkpoints as {@code policy} says, each reported as {@link TrainingEvent.Checkpointed}. */
        public Builder checkpoints(CheckpointPolicy policy) {
            this.checkpoints = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Keeps the best epoch's checkpoint in {@code file}, as Keras's {@code ModelCheckpoint}
         * with {@code save_best_only}: written, atomically over the one before, at each epoch end
         * where {@code monitor}'s figure improves on every earlier epoch (an epoch that ends inside
         * an open accumulation group is passed over). The figure is recorded beside it
         * ({@code <file>.figure}), so that a resumed run improves on the best before it. The
         * checkpoint resumes at the next epoch. A figure the run does not measure is refused before
         * training.
         */
        public Builder bestCheckpoint(Path file, Monitor monitor) {
            this.bestCheckpoint = Objects.requireNonNull(file, "file");
            this.bestBy = Objects.requireNonNull(monitor, "monitor");
            return this;
        }

        /**
         * Writes {@code file} when training ends, atomically: after the last epoch, or where a
         * callback or cancellation stopped it. Not written when the run ends inside an open
         * accumulation group, at a NaN or infinite loss, or before a resumed run's first batch.
         */
        public Builder finalCheckpoint(Path file) {
            this.finalCheckpoint = Objects.requireNonNull(file, "file");
            return this;
        }

        /**
         * Writes the run's folder ({@link RunFolder}) into {@code dir}, with its best epoch's
         * checkpoint kept by {@code bestBy} and the final one (in place of any
         * {@link #bestCheckpoint} and {@link #finalCheckpoint}); {@code bestBy} null takes
         * {@code val_loss} (lower is better) when the validation measures the loss, else
         * {@code train_loss}.
         */
        public Builder runFolder(Path dir, Monitor bestBy) {
            this.runFolder = Objects.requireNonNull(dir, "dir");
            this.runFolderBestBy = bestBy;
            return this;
        }

        /**
         * Starts from a checkpoint written by a loop of the same model and optimizers: its
         * parameters, optimizer and plateau state, epoch and batch. The epochs still count from
         * the first: resuming at epoch 3 of 10 trains epochs 3 to 9.
         */
        public Builder resumeFrom(Path checkpoint) {
            this.resumeFrom = Objects.requireNonNull(checkpoint, "checkpoint");
            return this;
        }

        /**
         * Resumes even when the run's optimizers are set otherwise than the ones that wrote the
         * checkpoint (a hyperparameter, a schedule that now runs longer): by default such a resume
         * is refused, naming each setting with its value then and now.
         */
        public Builder acceptChangedSettings(boolean accept) {
            this.acceptChangedSettings = accept;
            return this;
        }

        /**
         * Trains as one replica of a data-parallel run over {@code collective}: this replica's
         * {@link #train} must be its shard ({@code IdxDataset.Builder.shard}), and every replica
         * runs the same loop. See the class comment for what changes.
         */
        public Builder dataParallel(Collective collective) {
            this.collective = Objects.requireNonNull(collective, "collective");
            return this;
        }

        /** Steps between two comparisons of the replicas' digests ({@value Replicas#DEFAULT_CHECK_EVERY}); each epoch's end compares too. */
        public Builder replicaCheckEvery(long steps) {
            this.replicaCheckEvery = steps;
            return this;
        }

        public TrainingLoop build() {
            return new TrainingLoop(this);
        }
    }
}
