package dev.anneal.samples

import ai.djl.Model
import ai.djl.engine.Engine
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import dev.anneal.data.FashionMnist
import dev.anneal.dsl.epochs
import dev.anneal.dsl.latestCheckpoint
import dev.anneal.dsl.momentum
import dev.anneal.dsl.pipeline
import dev.anneal.dsl.steps
import dev.anneal.model.LeNet5
import dev.anneal.run.Diagnosis
import dev.anneal.train.TrainingEvent
import dev.anneal.train.loss.Losses
import java.io.PrintStream
import java.util.Locale

/**
 * The main job as a pipeline: LeNet-5 on Fashion-MNIST with the recipe of MindSpore's training
 * tutorial (Momentum, lr 0.01, momentum 0.9, batch 32), MindSpore's loss-monitor lines and a
 * progress bar on a terminal. [FashionMnistLeNet] is the same run written with the Java builders;
 * for one seed both print the same numbers, and either resumes from the other's checkpoints.
 */
class FashionMnistPipeline(private val job: JobSettings, private val out: PrintStream) {
    /** Trains and returns the final test accuracy. */
    fun run(): Double {
        val dataDir = job.dataDir
        val checkpoints = job.checkpoints
        Engine.getInstance().setRandomSeed(job.seed)
        Model.newInstance("lenet5", job.device).use { model ->
            NDManager.newBaseManager().use { data ->
                model.block = LeNet5.create()
                model.block.initialize(model.ndManager, DataType.FLOAT32, LeNet5.inputShape(BATCH_SIZE))
                val train = FashionMnist.loadShuffled(dataDir, FashionMnist.Split.TRAIN, data, BATCH_SIZE, job.seed.toLong())
                val test = FashionMnist.load(dataDir, FashionMnist.Split.TEST, data, BATCH_SIZE)
                out.println(FashionMnistLeNet.header(job, train.size(), test.size()))

                val run = pipeline {
                    this.model = model.block
                    this.data = train
                    validation = test
                    loss = Losses.softmaxCrossEntropy()
                    optimizer {
                        momentum(lr = 0.01, momentum = 0.9)
                        job.clip?.let { clipGradNorm(it) }
                        if (job.lossScale.scales()) lossScale(job.lossScale)
                    }
                    prefetch = 0 // in memory already; reads on another thread would slow libtorch here
                    epochs = job.epochs
                    accumulate = job.accumulate
                    precision = job.precision
                    metrics { accuracy(); loss() }
                    runFolder = job.runFolder
                    checkpoints?.let { dir ->
                        resumeFrom = latestCheckpoint(dir, out::println)?.also { out.println(FashionMnistLeNet.resumeLine(it)) }
                    }
                    callbacks {
                        checkpoints?.let { checkpoint(it, every = 1.epochs, keep = 3) }
                        progressBar() // on a terminal only
                        lossMonitor(every = 500.steps, out = out)
                        timeMonitor(out)
                        on<TrainingEvent.EpochEnd> { out.println(FashionMnistLeNet.epochLine(it)) }
                    }
                }
                // Blocking, on this thread: libtorch trains slower on a thread other than the one that built the model.
                val result = run.use { it.run() }
                out.printf(Locale.ROOT, "test accuracy: %.4f%n", result.validationAccuracy)
                out.println(FashionMnistLeNet.diagnosisLine(Diagnosis.of(result)))
                return result.validationAccuracy
            }
        }
    }

    private companion object {
        const val BATCH_SIZE = FashionMnistLeNet.BATCH_SIZE
    }
}
