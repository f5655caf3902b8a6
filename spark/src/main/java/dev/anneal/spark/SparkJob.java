package dev.anneal.spark;

import dev.anneal.run.Diagnosis;
import dev.anneal.samples.DataParallelJob;
import dev.anneal.samples.FashionMnistLeNet;
import dev.anneal.samples.JobSettings;
import dev.anneal.state.CheckpointPolicy;
import dev.anneal.train.LossMonitor;
import dev.anneal.train.ProgressBar;
import dev.anneal.train.TimeMonitor;
import dev.anneal.train.TrainingEvent;
import dev.anneal.train.TrainingResult;

import java.io.PrintStream;
import java.util.Locale;

/**
 * {@code ./anneal --workers N}: the main job on N executors of a {@code local-cluster} on this
 * machine, each a JVM of its own with one core, printing what the one-machine job prints.
 */
public final class SparkJob implements DataParallelJob {
    /** Memory of each local-cluster worker, in MB: room for one executor's default 1 GB. */
    private static final int WORKER_MEMORY_MB = 1024;

    @Override
    public double run(JobSettings job, int workers, PrintStream out) throws Exception {
        int batch = FashionMnistLeNet.BATCH_SIZE;
        out.printf(Locale.ROOT, "LeNet-5 on Fashion-MNIST from %s, data-parallel on %d Spark workers (local-cluster)%n"
                        + "Momentum lr 0.01, momentum 0.9, batch %d on each worker (%d a step), %d epochs, seed %d%s%n",
                job.dataDir(), workers, batch, workers * batch, job.epochs(), job.seed(), job.options());
        SparkTraining.Builder training = SparkTraining.builder()
                .master("local-cluster[" + workers + ",1," + WORKER_MEMORY_MB + "]").workers(workers)
                .replica(new FashionMnistReplica(job.dataDir().toAbsolutePath().toString(), job.seed(), batch,
                        job.epochs(), job.clip(), job.accumulate()))
                .callback(ProgressBar.onTerminal())
                .callback(new LossMonitor(out, 500))
                .callback(new TimeMonitor(out))
                .callback((event, control) -> {
                    if (event instanceof TrainingEvent.EpochEnd e) {
                        out.println(FashionMnistLeNet.epochLine(e));
                    } else if (event instanceof TrainingEvent.Started && job.checkpoints() != null) {
                        out.println("checkpoints in " + job.checkpoints() + "; a run resumes from the newest there");
                    }
                });
        if (job.checkpoints() != null) {
            training.checkpoints(CheckpointPolicy.everyEpochs(job.checkpoints().toAbsolutePath(), 1).keep(3));
        }
        TrainingResult result = training.build().run();
        out.printf(Locale.ROOT, "test accuracy: %.4f%n", result.validationAccuracy());
        out.println(FashionMnistLeNet.diagnosisLine(Diagnosis.of(result)));
        return result.validationAccuracy();
    }
}
