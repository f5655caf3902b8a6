package dev.anneal.dsl

import ai.djl.ndarray.NDManager
import ai.djl.nn.SequentialBlock
import ai.djl.training.dataset.ArrayDataset
import dev.anneal.optim.Optimizer
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.train.Callback
import dev.anneal.train.TrainingEvent
import dev.anneal.train.TrainingLoop
import dev.anneal.train.loss.Losses
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.longs.shouldBeGreaterThanOrEqual
import io.kotest.matchers.longs.shouldBeLessThan
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Job
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking

class TrainingSpec : FunSpec({
    /** A linear classifier on fixed data, 40 batches an epoch (limit 640), with deterministic parameters. */
    fun setUp(manager: NDManager, limit: Long = 640): Triple<SequentialBlock, ArrayDataset, Optimizer<*>> {
        val (block, data) = fixedRun(manager, limit, 3)
        return Triple(block, data, Optimizers.sgd().lr(0.1).momentum(0.9).build().compile(ParameterSet.of(block)))
    }

    fun builder(m: NDManager, block: SequentialBlock, data: ArrayDataset, optimizer: Optimizer<*>, epochs: Int = 3) =
        TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(optimizer)
            .train(data).epochs(epochs).manager(m)

    test("cancelling fit after N batches leaves exactly N steps, then the cancellation propagates") {
        NDManager.newBaseManager().use { m ->
            val (block, data, optimizer) = setUp(m)
            runBlocking {
                lateinit var job: Job
                var batches = 0
                val run = async {
                    builder(m, block, data, optimizer).callback(Callback { e, _ ->
                        if (e is TrainingEvent.BatchEnd && ++batches == 5) job.cancel()
                    }).fit()
                }
                job = run
                shouldThrow<CancellationException> { run.await() }
            }
            optimizer.stepCount() shouldBe 5
            val afterCancel = block.parameters.values().map { it.array.toFloatArray().toList() }

            val (reference, referenceData, referenceOptimizer) = setUp(m, limit = 5 * 16)
            runBlocking { builder(m, reference, referenceData, referenceOptimizer, epochs = 1).fit() }.steps() shouldBe 5
            reference.parameters.values().map { it.array.toFloatArray().toList() } shouldBe afterCancel
        }
    }

    test("events are a cold flow: taking three stops the training at a batch boundary soon after") {
        NDManager.newBaseManager().use { m ->
            val (block, data, optimizer) = setUp(m)
            val events = runBlocking {
                builder(m, block, data, optimizer).events().filterIsInstance<TrainingEvent.BatchEnd>().take(3).toList()
            }
            events.map { it.step } shouldBe listOf(1L, 2L, 3L)
            // The collector cancels from its own thread: training stops at a batch boundary after it,
            // at the latest when the 64-event buffer is full, well before its 3 epochs of 40 batches.
            optimizer.stepCount() shouldBeGreaterThanOrEqual 3L
            optimizer.stepCount() shouldBeLessThan 120L
        }
    }

    test("fit runs every epoch when nothing stops it") {
        NDManager.newBaseManager().use { m ->
            val (block, data, optimizer) = setUp(m)
            val result = runBlocking { builder(m, block, data, optimizer, epochs = 2).fit() }
            result.epochs() shouldBe 2
            result.steps() shouldBe 80
            result.stopReason() shouldBe null
        }
    }
})

