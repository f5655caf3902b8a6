package dev.anneal.samples;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.translate.TranslateException;
import dev.anneal.data.FashionMnist;
import dev.anneal.data.IdxDataset;
import dev.anneal.model.LeNet5;
import dev.anneal.optim.MomentumOptions;
import dev.anneal.optim.Optimizer;
import dev.anneal.optim.Optimizers;
import dev.anneal.param.ParameterSet;
import dev.anneal.run.Diagnosis;
import dev.anneal.state.CheckpointPolicy;
import dev.anneal.train.HalfPrecision;
import dev.anneal.train.LossMonitor;
import dev.anneal.train.Pipeline;
import dev.anneal.train.ProgressBar;
import dev.anneal.train.TimeMonitor;
import dev.anneal.train.TrainingEvent;
import dev.anneal.train.TrainingLoop;
import dev.anneal.train.TrainingResult;
import dev.anneal.train.loss.Losses;
import dev.anneal.train.metric.MeanLoss;
import dev.anneal.train.metric.TopK;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The main job written with the Java builders ({@code ./anneal --java}): LeNet-5 on
 * Fashion-MNIST with the recipe of MindSpore's training tutorial (Momentum, lr 0.01, momentum
 * 0.9, batch 32) and MindSpore's loss-monitor lines. {@link FashionMnistPipeline} is the same run
 * as a Kotlin pipeline; for one seed both print the same numbers.
 */
public final class FashionMnistLeNet {
    public static final int BATCH_SIZE = 32;

    private final JobSettings job;
    private final PrintStream out;

    /** The job {@code job} describes, its lines printed on {@code out}. */
    public FashionMnistLeNet(JobSettings job, PrintStream out) {
        this.job = job;
        this.out = out;
    }

    /** Trains and returns the final test accuracy. */
    public double run() throws IOException, TranslateException {
        Path dataDir = job.dataDir();
        Path checkpoints = job.checkpoints();
        Engine.getInstance().setRandomSeed(job.seed());
        try (Model model = Model.newInstance("lenet5", job.device());
             NDManager data = NDManager.newBaseManager()) {
            model.setBlock(LeNet5.create());
            Block block = model.getBlock();
            block.initialize(model.getNDManager(), DataType.FLOAT32, LeNet5.inputShape(BATCH_SIZE));
            IdxDataset train = FashionMnist.loadShuffled(dataDir, FashionMnist.Split.TRAIN, data, BATCH_SIZE, job.seed());
            IdxDataset test = FashionMnist.load(dataDir, FashionMnist.Split.TEST, data, BATCH_SIZE);
            out.println(header(job, train.size(), test.size()));

            double accuracy;
            Diagnosis diagnosis;
            MomentumOptions.Builder recipe = Optimizers.momentum().lr(0.01).momentum(0.9);
            if (job.clip() != null) {
                recipe.clipGradNorm(job.clip());
            }
            if (job.lossScale().scales()) {
                recipe.lossScale(job.lossScale());
            }
            if (job.precision() != Pipeline.DEFAULT_PRECISION) {
                HalfPrecision.cast(block, job.precision(), model.getNDManager().getDevice());
            }
            try (Optimizer<MomentumOptions.Group> optimizer = recipe.build().compile(ParameterSet.of(block))) {
                TrainingLoop.Builder loop = TrainingLoop.builder()
                        .block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
                        .train(train).validation(test).epochs(job.epochs()).accumulate(job.accumulate())
                        .metric(TopK.accuracy()).metric(new MeanLoss(Losses.softmaxCrossEntropy()))
                        .manager(model.getNDManager());
                if (checkpoints != null) {
                    loop.checkpoints(CheckpointPolicy.everyEpochs(checkpoints, 1).keep(3));
                    CheckpointPolicy.Latest found = CheckpointPolicy.latest(checkpoints);
                    found.skipped().forEach(out::println);
                    Optional<Path> latest = found.file();
                    if (latest.isPresent()) {
                        out.println(resumeLine(latest.get()));
                        loop.resumeFrom(latest.get());
                    }
                }
                loop.callback(ProgressBar.onTerminal());
                if (job.runFolder() != null) {
                    loop.runFolder(job.runFolder(), null);
                }
                TrainingResult result = loop
                        .callback(new LossMonitor(out, 500))
                        .callback(new TimeMonitor(out))
                        .callback((event, control) -> {
                            if (event instanceof TrainingEvent.EpochEnd e) {
                                out.println(epochLine(e));
                            }
                        })
                        .build().run();
                accuracy = result.validationAccuracy();
                diagnosis = Diagnosis.of(result);
            }
            out.printf(Locale.ROOT, "test accuracy: %.4f%n", accuracy);
            out.println(diagnosisLine(diagnosis));
            return accuracy;
        }
    }

    public static String resumeLine(Path checkpoint) {
        return "resuming from " + checkpoint;
    }

    /** The run's first lines: data, recipe and the options in effect. */
    static String header(JobSettings job, long trainSize, long testSize) {
        return String.format(Locale.ROOT, "LeNet-5 on Fashion-MNIST from %s: %d training, %d test images%n"
                + "Momentum lr 0.01, momentum 0.9, batch %d, %d epochs, seed %d%s", job.dataDir(), trainSize, testSize,
                BATCH_SIZE, job.epochs(), job.seed(), job.options());
    }

    public static String diagnosisLine(Diagnosis diagnosis) {
        return "diagnosis: " + diagnosis.text();
    }

    public static String epochLine(TrainingEvent.EpochEnd e) {
        return String.format(Locale.ROOT, "epoch %d/%d  test accuracy %.4f", e.epoch() + 1, e.epochs(),
                e.validationAccuracy());
    }
}
