package dev.anneal.spark;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import dev.anneal.data.FashionMnist;
import dev.anneal.data.IdxDataset;
import dev.anneal.model.LeNet5;
import dev.anneal.optim.MomentumOptions;
import dev.anneal.optim.Optimizers;
import dev.anneal.param.ParameterSet;
import dev.anneal.train.TrainingLoop;
import dev.anneal.train.loss.Losses;
import dev.anneal.train.metric.MeanLoss;
import dev.anneal.train.metric.TopK;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One replica of the main job, data-parallel: LeNet-5 on its shard of Fashion-MNIST with the
 * recipe of MindSpore's tutorial (Momentum, lr 0.01, momentum 0.9), {@code batchSize} rows of
 * each global batch, validated on the whole test set after each epoch.
 *
 * @param dataDir    a folder with the four Fashion-MNIST files, readable by every executor
 * @param clip       the gradient norm to clip to, or null
 * @param accumulate batches per optimizer step
 */
public record FashionMnistReplica(String dataDir, int seed, int batchSize, int epochs, Double clip, int accumulate)
        implements ReplicaFactory {
    private static final long serialVersionUID = 1L;

    @Override
    public TrainingLoop.Builder replica(Worker worker) throws IOException {
        Model model = worker.closeAtEnd(Model.newInstance("lenet5"));
        model.setBlock(LeNet5.create());
        Block block = model.getBlock();
        // Rank 0's start is sent to all; seeded, it is the one-machine run's. DJL's generator is the
        // JVM's: replicas sharing one (local[N]) must not draw from it in turn.
        synchronized (Engine.class) {
            Engine.getInstance().setRandomSeed(seed);
            block.initialize(model.getNDManager(), DataType.FLOAT32, LeNet5.inputShape(batchSize));
        }
        Path dir = Path.of(dataDir);
        IdxDataset train = FashionMnist.loadShard(dir, FashionMnist.Split.TRAIN, worker.manager(), batchSize, seed,
                worker.rank(), worker.workers());
        IdxDataset test = FashionMnist.load(dir, FashionMnist.Split.TEST, worker.manager(), batchSize);
        MomentumOptions.Builder recipe = Optimizers.momentum().lr(0.01).momentum(0.9);
        if (clip != null) {
            recipe.clipGradNorm(clip);
        }
        return TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy())
                .optimizer(worker.closeAtEnd(recipe.build().compile(ParameterSet.of(block))))
                .train(train).validation(test).epochs(epochs).accumulate(accumulate)
                .metric(TopK.accuracy()).metric(new MeanLoss(Losses.softmaxCrossEntropy()))
                .manager(model.getNDManager());
    }
}
