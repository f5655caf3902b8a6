package dev.anneal.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.anneal.data.FashionMnist;
import dev.anneal.data.IdxDataset;
import dev.anneal.model.LeNet5;
import dev.anneal.optim.Optimizers;
import dev.anneal.param.ParameterSet;
import dev.anneal.train.BasicLoop;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * LeNet-5 on Fashion-MNIST, batch 32: milliseconds per training step of Anneal's loop (forward,
 * backward, fused SGD-momentum step, gradients cleared) against a bare DJL loop (forward,
 * backward, {@code Trainer.step()} with DJL's SGD-momentum), in alternating blocks of steps.
 */
final class LoopBench {
    /** The rows' name, and the bench's section name for them. */
    static final String LABEL = "lenet-step";
    static final int BLOCK = 50;

    private LoopBench() {
    }

    static List<Row> run(int blocks) throws Exception {
        Loss loss = Loss.softmaxCrossEntropyLoss();
        try (NDManager data = NDManager.newBaseManager();
             Model annealModel = model(1);
             Model djlModel = model(1);
             Trainer trainer = djlModel.newTrainer(new DefaultTrainingConfig(loss)
                     .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).optMomentum(0.9f).build())
                     .optDevices(new Device[] {Device.cpu()}));
             dev.anneal.optim.Optimizer<?> optimizer = Optimizers.sgd().lr(0.01).momentum(0.9).build()
                     .compile(ParameterSet.of(annealModel.getBlock()))) {
            IdxDataset train = FashionMnist.loadShuffled(FashionMnist.defaultDir(), FashionMnist.Split.TRAIN, data,
                    32, 42);
            ParameterStore store = new ParameterStore(annealModel.getNDManager(), false);
            Iterator<Batch> batches = train.getData(data).iterator();
            List<Double> anneal = new ArrayList<>();
            List<Double> djl = new ArrayList<>();
            for (int b = -1; b < blocks; b++) { // block -1 warms both up
                double annealMs = 0;
                double djlMs = 0;
                for (int s = 0; s < BLOCK; s++) {
                    if (!batches.hasNext()) {
                        batches = train.getData(data).iterator();
                    }
                    try (Batch batch = batches.next()) {
                        // Alternate who goes first, so neither always finds the batch in cache.
                        for (int turn = 0; turn < 2; turn++) {
                            long start = System.nanoTime();
                            if ((turn + s) % 2 == 0) {
                                BasicLoop.trainBatch(annealModel.getBlock(), store, loss, batch, optimizer);
                                annealMs += (System.nanoTime() - start) / 1e6;
                            } else {
                                djlStep(trainer, loss, batch);
                                djlMs += (System.nanoTime() - start) / 1e6;
                            }
                        }
                    }
                }
                if (b >= 0) {
                    anneal.add(annealMs / BLOCK);
                    djl.add(djlMs / BLOCK);
                }
            }
            return List.of(Row.of(LABEL, "lenet5-b32", "anneal", unbox(anneal)),
                    Row.of(LABEL, "lenet5-b32", "djl", unbox(djl)));
        }
    }

    private static void djlStep(Trainer trainer, Loss loss, Batch batch) {
        try (GradientCollector collector = trainer.newGradientCollector()) {
            NDList predictions = trainer.forward(batch.getData());
            NDArray value = loss.evaluate(batch.getLabels(), predictions);
            collector.backward(value);
        }
        trainer.step();
    }

    private static Model model(int seed) {
        Engine.getInstance().setRandomSeed(seed);
        Model model = Model.newInstance("lenet5");
        model.setBlock(LeNet5.create());
        model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, LeNet5.inputShape(32));
        return model;
    }

    private static double[] unbox(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
