package dev.anneal.spark

import dev.anneal.data.FashionMnist
import dev.anneal.dsl.epochs
import dev.anneal.dsl.momentum
import dev.anneal.dsl.pipeline
import dev.anneal.model.LeNet5
import dev.anneal.train.TrainingEvent
import dev.anneal.train.loss.Losses
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import java.nio.file.Path
import kotlin.time.Duration.Companion.minutes

class SparkDslSpec : FunSpec({
    val data = Path.of("../samples/data/fashion-mnist").toAbsolutePath().normalize().toString() // the shipped subset

    /** LeNet-5 as a Kotlin pipeline on each worker's shard: the lambda travels to the executors. */
    fun run(epochs: Int = 1) = spark(master = "local[2]", workers = 2) { worker ->
        pipeline {
            model = LeNet5.create()
            inputShape = LeNet5.inputShape(32)
            seed = 42
            this.data = FashionMnist.loadShard(Path.of(data), FashionMnist.Split.TRAIN, worker.manager(), 32, 42,
                worker.rank(), worker.workers())
            validation = FashionMnist.load(Path.of(data), FashionMnist.Split.TEST, worker.manager(), 32)
            loss = Losses.softmaxCrossEntropy()
            this.epochs = epochs
            optimizer { momentum(lr = 0.01, momentum = 0.9) }
            callbacks { earlyStopping(patience = 3.epochs) } // built on each executor
            prefetch = 0
        }
    }

    test("a Kotlin pipeline trains on two workers; its events flow on the driver").config(timeout = 5.minutes) {
        val events = run().events().toList()
        events.filterIsInstance<TrainingEvent.BatchEnd>().size shouldBe 149
        val end = events.filterIsInstance<TrainingEvent.EpochEnd>().single()
        println("pipeline on 2 workers: test accuracy ${end.validationAccuracy}")
        end.validationAccuracy shouldBeGreaterThan 0.7
    }

    test("stopping the collection cancels the Spark job and its replicas stop; the next run starts afresh").config(timeout = 5.minutes) {
        fun linked() = Thread.getAllStackTraces().keys.count { it.isAlive && it.name.startsWith("anneal-collective-send") }
        run(epochs = 50).events().take(5).toList().size shouldBe 5 // 50 epochs: minutes, if the replicas trained on
        val deadline = System.nanoTime() + 30_000_000_000L
        while (linked() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100)
        }
        linked() shouldBe 0 // the replicas (threads of this JVM in local[2]) stopped and closed their links
        run().fit().steps shouldBe 149
    }
})
