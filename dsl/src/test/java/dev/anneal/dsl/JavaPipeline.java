package dev.anneal.dsl;

import ai.djl.nn.Block;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.loss.Loss;
import ai.djl.translate.TranslateException;
import dev.anneal.optim.OptimizerSpec;
import dev.anneal.optim.Optimizers;
import dev.anneal.schedule.Duration;
import dev.anneal.schedule.Phase;
import dev.anneal.schedule.Timeline;
import dev.anneal.train.Pipeline;
import dev.anneal.train.TrainingResult;
import dev.anneal.train.loss.Losses;
import dev.anneal.train.metric.MeanLoss;
import dev.anneal.train.metric.TopK;

import java.io.IOException;
import java.util.concurrent.Executor;

/**
 * The epoch-scheduled run of {@code PipelineSpec}'s {@code pipeline { }}, written in Java against
 * the engine alone, so that the two can be compared bit for bit.
 */
final class JavaPipeline {
    private JavaPipeline() {
    }

    /** Trains {@code model} on {@code data}, validating on it too, reading two batches ahead on {@code executor}. */
    static TrainingResult train(Block model, Dataset data, int epochs, Executor executor)
            throws IOException, TranslateException {
        OptimizerSpec<?> sgd = Optimizers.sgd()
                .lr(Timeline.of(Phase.warmup(Duration.steps(5), 0.0), Phase.cosine(Duration.epochs(2), 0.1, 0.0)))
                .momentum(0.9)
                .build();
        Loss loss = Losses.softmaxCrossEntropy();
        try (Pipeline pipeline = Pipeline.builder()
                .model(model).data(data).validation(data).loss(loss)
                .optimizer(sgd)
                .epochs(epochs)
                .prefetch(executor, 2)
                .metric(TopK.accuracy()).metric(new MeanLoss(loss))
                .build()) {
            return pipeline.run();
        }
    }
}
