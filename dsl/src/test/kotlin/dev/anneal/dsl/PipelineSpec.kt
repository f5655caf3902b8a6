package dev.anneal.dsl

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import ai.djl.ndarray.types.DataType
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.dataset.ArrayDataset
import dev.anneal.config.InvalidConfigException
import dev.anneal.optim.Optimizers
import dev.anneal.param.Selector
import dev.anneal.schedule.Duration
import dev.anneal.schedule.Phase
import dev.anneal.schedule.Timeline
import dev.anneal.train.Accumulation
import dev.anneal.train.Accumulation.EndOfEpoch.CARRY
import dev.anneal.train.Accumulation.Mode.SUM
import dev.anneal.train.Pipeline as EnginePipeline
import dev.anneal.train.TrainingEvent
import dev.anneal.train.loss.Losses
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.engine.names.WithDataTestName
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.longs.shouldBeGreaterThanOrEqual
import io.kotest.matchers.longs.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.nio.file.Files
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicInteger

/**
 * What two runs that train to the same bits share: every figure, and every logged row but the
 * seconds each was logged at.
 */
private fun dev.anneal.train.TrainingResult.figures(): List<Any?> = listOf(epochs, steps, meanLoss.toBits(),
    validationAccuracy.toBits(), stopReason, metrics, (history.steps() + history.epochs()).map { row -> row.values - dev.anneal.train.History.TIME })

class PipelineSpec : FunSpec({
    /** Two linear layers on fixed data, 40 batches an epoch (limit 640), with deterministic parameters. */
    fun setUp(manager: NDManager, limit: Long = 640) = fixedRun(manager, limit, 5, 3)

    fun supervised(block: SequentialBlock, data: ArrayDataset, runEpochs: Int = 3, extra: PipelineScope.() -> Unit = {}) = pipeline {
        model = block
        this.data = data
        loss = Losses.softmaxCrossEntropy()
        optimizer { sgd(lr = 0.1, momentum = 0.9) }
        epochs = runEpochs
        extra()
    }

    fun values(block: SequentialBlock) = block.parameters.values().map { it.array.toFloatArray().toList() }

    test("a pipeline holds the specs and selectors the Java builders make") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val gan = pipeline {
                model = block
                this.data = data
                optimizer("first", glob("01*")) { adam(lr = 2e-4, beta1 = 0.5) }
                optimizer("second", glob("02*")) { sgd(lr = 0.1); group(bias) { weightDecay = 0 } }
                step { 0.0 }
                epochs = 4
            }
            gan.specs shouldBe mapOf(
                "first" to Optimizers.adam().lr(2e-4).beta1(0.5).build(),
                "second" to Optimizers.sgd().lr(0.1).group("bias", Selector.bias()) { it.weightDecay(0.0) }.build(),
            )
            gan.selectors shouldBe mapOf("first" to Selector.glob("01*"), "second" to Selector.glob("02*"))
            gan.epochs shouldBe 4
            gan.optimizers["first"]!!.parameters().all().map { it.name() } shouldContainExactly listOf("01Linear_weight", "01Linear_bias")
            gan.optimizers["second"]!!.parameters().all().map { it.name() } shouldContainExactly listOf("02Linear_weight", "02Linear_bias")
            gan.close()
            supervised(block, data).specs shouldBe mapOf("default" to Optimizers.sgd().lr(0.1).momentum(0.9).build())
        }
    }

    test("runFolder writes the run's folder, its history the result's; a GAN's two optimizers each have their columns") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val dir = Files.createTempDirectory("pipeline-run").resolve("a")
            val result = supervised(block, data, runEpochs = 2) { runFolder = dir }.use { it.run() }
            Files.exists(dir.resolve("config.json")) shouldBe true
            Files.readString(dir.resolve("diagnosis.txt")).trim() shouldBe dev.anneal.run.Diagnosis.of(result).text()
            Files.readAllLines(dir.resolve("metrics.csv")).size shouldBe 1 + result.history.steps().size + 2
            val gan = pipeline {
                model = block
                this.data = data
                optimizer("first", glob("01*")) { adam(lr = 2e-4) }
                optimizer("second", glob("02*")) { sgd(lr = 0.1) }
                step { 0.0 }
                epochs = 1
            }
            val columns = gan.use { it.run() }.history.columns(dev.anneal.train.History.Kind.STEP)
            columns.filter { it.startsWith("lr/") } shouldContainExactly listOf("lr/first.default", "lr/second.default")
        }
    }

    test("the run folder keeps the best epoch by val_loss when the validation measures it, by train_loss without, or by bestBy") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m, limit = 160)
            /** The epoch the kept best checkpoint resumes at, and the one the history says is best by [figure]. */
            fun kept(figure: String, max: Boolean, extra: PipelineScope.() -> Unit): Pair<Int, Int> {
                val dir = Files.createTempDirectory("pipeline-best")
                val result = supervised(block, data, runEpochs = 4) { runFolder = dir; extra() }.use { it.run() }
                val values = result.history.epochs().map { it.get(figure) }
                val best = values.indices.let { if (max) it.maxBy { e -> values[e] } else it.minBy { e -> values[e] } }
                NDManager.newBaseManager().use { reading ->
                    dev.anneal.state.CheckpointFile.read(dir.resolve("final.anneal"), reading).epoch() shouldBe 4
                    return dev.anneal.state.CheckpointFile.read(dir.resolve("best.anneal"), reading).epoch() to best + 1
                }
            }
            kept("train_loss", max = false) { }.let { (kept, best) -> kept shouldBe best }
            kept("val_loss", max = false) { validation = data; metrics { loss() } }.let { (kept, best) -> kept shouldBe best }
            // The worst loss as the best: the first epoch's, where a default would keep a later one.
            kept("train_loss", max = true) { bestBy = dev.anneal.train.Monitor.of("train_loss", dev.anneal.train.Monitor.Mode.MAX) }
                .let { (kept, best) -> kept shouldBe best; kept shouldBe 1 }
        }
    }

    test("evaluate gives the last epoch's validation figures; predict's outputs give the same accuracy, counted by hand") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m, limit = 160)
            val run = supervised(block, data, runEpochs = 2) { validation = data; metrics { accuracy(); loss() } }
            val result = run.run()
            val figures = run.evaluate()
            figures shouldBe result.metrics
            figures.keys.toList() shouldContainExactly listOf("accuracy", "loss")
            var right = 0L
            var all = 0L
            m.newSubManager().use { reading ->
                for (batch in data.getData(reading)) {
                    val labels = batch.labels.singletonOrThrow().toFloatArray()
                    val guessed = run.predict(batch.data.singletonOrThrow()).argMax(1).toLongArray()
                    right += labels.indices.count { guessed[it] == labels[it].toLong() }
                    all += labels.size
                    batch.close()
                }
            }
            figures["accuracy"] shouldBe right.toDouble() / all
            run.evaluate(data) shouldBe figures
            run.close()
            val none = supervised(block, data, runEpochs = 1)
            shouldThrow<InvalidConfigException> { none.evaluate() }.message shouldContain "pipeline.validation is needed to evaluate"
            // No metric named: accuracy, as a run measures.
            none.evaluate(data).keys.toList() shouldContainExactly listOf("accuracy")
        }
    }

    test("an uninitialized model is initialized from the first batch or an input shape, the same for the same seed; summary() lists it") {
        NDManager.newBaseManager().use { m ->
            val (_, data) = setUp(m)
            fun fresh() = SequentialBlock().add(Linear.builder().setUnits(5).build()).add(Linear.builder().setUnits(3).build())
            fun start(seed: Int, shape: Shape? = null): Pair<SequentialBlock, Pipeline> {
                val block = fresh()
                return block to pipeline {
                    model = block
                    this.data = data
                    loss = Losses.softmaxCrossEntropy()
                    optimizer { sgd(lr = 0.1); group(bias) { weightDecay = 0 } }
                    this.seed = seed
                    inputShape = shape
                }
            }
            val (a, fromBatch) = start(7)
            val (b, fromShape) = start(7, Shape(16, 4))
            val (c, otherSeed) = start(8)
            values(a) shouldBe values(b)
            (values(a) == values(c)) shouldBe false
            fromBatch.summary() shouldBe """
                layer     output shape  parameters  groups
                01Linear  (16, 5)       25          weight: default, bias: bias
                02Linear  (16, 3)       18          weight: default, bias: bias
                input (16, 4); 43 parameters, 43 trainable, 0 frozen
            """.trimIndent() + "\n"
            b.children.get(1).value.freezeParameters(true)
            fromShape.summary().lines().takeLast(3) shouldBe listOf(
                "02Linear  (16, 3)       18          weight: -, bias: -", "input (16, 4); 43 parameters, 25 trainable, 18 frozen", "")
            fromBatch.run().steps shouldBe 40L
            listOf(fromBatch, fromShape, otherSeed).forEach { it.close() }
            // Closed with the pipeline: the parameters it initialized are freed.
            a.parameters.values().all { it.array.isReleased } shouldBe true
            shouldThrow<InvalidConfigException> {
                pipeline { model = fresh(); this.data = data; loss = Losses.softmaxCrossEntropy(); optimizer { sgd(lr = 0.1) }; inputShape = Shape() }
            }.message shouldContain "pipeline.inputShape cannot initialize the model for inputs of shape [()]"
        }
    }

    test("device = cpu() initializes there; a GPU DJL cannot use is refused before training, saying what was looked for") {
        NDManager.newBaseManager().use { m ->
            val (_, data) = setUp(m)
            fun fresh() = SequentialBlock().add(Linear.builder().setUnits(3).build())
            val onCpu = fresh()
            pipeline { model = onCpu; this.data = data; loss = Losses.softmaxCrossEntropy(); optimizer { sgd(lr = 0.1) }; device = cpu() }
                .use { it.run().steps shouldBe 40L }
            onCpu.parameters.values().all { it.array.device == ai.djl.Device.cpu() } shouldBe true
            // This machine's build loads DJL's CPU natives: no GPU is usable.
            val untouched = fresh()
            shouldThrow<InvalidConfigException> {
                pipeline { model = untouched; this.data = data; loss = Losses.softmaxCrossEntropy(); optimizer { sgd(lr = 0.1) }; device = gpu(0) }
            }.message shouldContain "pipeline.device is gpu(0), which cannot be used: DJL's PyTorch engine was loaded without CUDA"
            untouched.isInitialized shouldBe false
        }
    }

    test("early stopping on val_loss: refused before training without the loss among the metrics, watched with it") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m, limit = 160)
            fun run(withLoss: Boolean) = supervised(block, data, runEpochs = 5) {
                validation = data
                metrics { accuracy(); if (withLoss) loss() }
                callbacks { earlyStopping(1.epochs, monitor = "val_loss", mode = dev.anneal.train.Monitor.Mode.MIN, minDelta = 10.0) }
            }.use { it.run() }
            shouldThrow<InvalidConfigException> { run(withLoss = false) }.message shouldContain
                "earlyStopping.monitor is \"val_loss\", which this run does not measure; it measures [train_loss, val_accuracy]"
            run(withLoss = true).stopReason shouldContain "no improvement of val_loss on"
        }
    }

    context("cancelled from outside after N batches, the parameters are those of exactly the steps counted") {
        withData(3, 17, 45) { n ->
            NDManager.newBaseManager().use { m ->
                val (block, data) = setUp(m)
                val batches = AtomicInteger()
                val run = supervised(block, data) { callbacks { on<TrainingEvent.BatchEnd> { batches.incrementAndGet() } } }
                runBlocking {
                    val training = async { run.fit() }
                    withContext(Dispatchers.Default) { while (batches.get() < n) delay(1) }
                    training.cancel()
                    shouldThrow<CancellationException> { training.await() }
                }
                val steps = run.optimizers.getValue("default").stepCount()
                // How far training runs past N before the cancel lands is timing; that it stops
                // on a whole step, with the counter telling which, is not.
                steps shouldBeGreaterThanOrEqual n.toLong()
                steps shouldBeLessThanOrEqual 119L
                val afterCancel = values(block)
                run.close()

                val (reference, referenceData) = setUp(m, limit = 640)
                val whole = supervised(reference, referenceData, runEpochs = 3) {
                    callbacks { add { e, control -> if (e is TrainingEvent.BatchEnd && e.step() == steps) control.stop("reference") } }
                }
                runBlocking { whole.fit() }.steps() shouldBe steps
                values(reference) shouldBe afterCancel
                whole.close()
            }
        }
    }

    test("checkpoints each epoch appear in the event flow, and a pipeline resumed from the latest ends where an unbroken one does") {
        NDManager.newBaseManager().use { m ->
            val dir = Files.createTempDirectory("checkpoints")
            val (straightBlock, straightData) = setUp(m, limit = 160)
            supervised(straightBlock, straightData, runEpochs = 4).use { runBlocking { it.fit() } }

            val (block, data) = setUp(m, limit = 160)
            val first = supervised(block, data, runEpochs = 4) {
                callbacks {
                    checkpoint(dir, every = 1.epochs, keep = 2)
                    on<TrainingEvent.EpochEnd> { if (it.epoch == 1) throw IllegalStateException("power cut after epoch 1") }
                }
            }
            latestCheckpoint(dir) shouldBe null
            shouldThrow<IllegalStateException> { runBlocking { first.events().toList() } }.message shouldBe "power cut after epoch 1"
            first.close()
            latestCheckpoint(dir) shouldBe dir.resolve("checkpoint-0000000010.anneal") // epoch 1's was never written

            val (resumedBlock, resumedData) = setUp(m, limit = 160)
            val events = mutableListOf<TrainingEvent>()
            val resumed = supervised(resumedBlock, resumedData, runEpochs = 4) {
                resumeFrom = latestCheckpoint(dir)
                callbacks {
                    checkpoint(dir, every = 1.epochs, keep = 2)
                    on<TrainingEvent> { events += it }
                }
            }
            runBlocking { resumed.fit() }.steps() shouldBe 40
            resumed.close()
            events.filterIsInstance<TrainingEvent.BatchEnd>().first().step() shouldBe 11
            events.filterIsInstance<TrainingEvent.Checkpointed>().map { it.epoch() to it.step() } shouldContainExactly
                listOf(2 to 20L, 3 to 30L, 4 to 40L)
            Files.list(dir).use { files -> files.map { it.fileName.toString() }.sorted().toList() } shouldContainExactly
                listOf("checkpoint-0000000030.anneal", "checkpoint-0000000040.anneal")
            values(resumedBlock) shouldBe values(straightBlock)

            shouldThrow<InvalidConfigException> {
                supervised(block, data) { callbacks { checkpoint(dir); checkpoint(dir, every = 5.steps) } }
            }.message shouldContain "pipeline.callbacks.checkpoint is given twice"
        }
    }

    test("a step rule in PyTorch's closure form trains exactly as the supervised step does") {
        NDManager.newBaseManager().use { m ->
            val (supervisedBlock, supervisedData) = setUp(m, limit = 160)
            supervised(supervisedBlock, supervisedData).use { it.run() }
            val (block, data) = setUp(m, limit = 160)
            val criterion = Losses.softmaxCrossEntropy()
            var evaluations = 0
            pipeline {
                model = block
                this.data = data
                optimizer { sgd(lr = 0.1, momentum = 0.9) }
                epochs = 3
                step { batch ->
                    val optimizer = optimizer("default")
                    optimizer.step {
                        evaluations++
                        optimizer.zeroGrad()
                        backward { criterion.evaluate(batch.labels, forward(batch.data)) }.toDouble()
                    }
                }
            }.use { it.run() }.steps() shouldBe 30
            evaluations shouldBe 30
            values(block) shouldBe values(supervisedBlock)
        }
    }

    test("in mixed precision a step rule's forward feeds the float16 model and trains as the supervised step does") {
        NDManager.newBaseManager().use { m ->
            val (supervisedBlock, supervisedData) = setUp(m, limit = 160)
            supervised(supervisedBlock, supervisedData) { precision = DataType.FLOAT16 }.use { it.run() }
            val (block, data) = setUp(m, limit = 160)
            val criterion = Losses.softmaxCrossEntropy()
            pipeline {
                model = block
                this.data = data
                optimizer { sgd(lr = 0.1, momentum = 0.9) }
                epochs = 3
                precision = DataType.FLOAT16
                step { batch ->
                    val optimizer = optimizer("default")
                    val loss = backward { criterion.evaluate(batch.labels, forward(batch.data)) }
                    optimizer.step()
                    optimizer.zeroGrad()
                    loss.toDouble()
                }
            }.use { it.run() }.steps() shouldBe 30
            block.parameters.values().map { it.array.dataType }.toSet() shouldBe setOf(DataType.FLOAT16)
            values(block) shouldBe values(supervisedBlock)
        }
    }

    test("whatever ends a run ends its event flow, a CancellationException thrown by a callback too") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m)
            val run = supervised(block, data) {
                callbacks { on<TrainingEvent.BatchEnd> { if (it.step() == 3L) throw CancellationException("from a callback") } }
            }
            runBlocking {
                withTimeout(60_000) { shouldThrow<CancellationException> { run.events().toList() } }
            }.message shouldBe "from a callback" // not the timeout's
            run.optimizers.getValue("default").stepCount() shouldBe 3
            run.close()
        }
    }

    test("epochs in a schedule become steps from the data; validation metrics and logs come with each epoch") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m, limit = 160) // 10 batches an epoch
            val log = Files.createTempFile("metrics", ".jsonl")
            val run = pipeline {
                model = block
                this.data = data
                validation = data
                loss = Losses.softmaxCrossEntropy()
                optimizer { sgd(lr = schedule { warmup(steps = 5) then cosine(epochs = 2, peak = 0.1) }) }
                epochs = 2
                metrics { accuracy(); topK(2); loss() }
                callbacks { jsonLog(log) }
            }
            val events = runBlocking { run.events().filter { it is TrainingEvent.Validated || it is TrainingEvent.EpochEnd }.toList() }
            events.map { it::class.simpleName } shouldContainExactly listOf("Validated", "EpochEnd", "Validated", "EpochEnd")
            (events[2] as TrainingEvent.Validated).metrics.keys.toList() shouldContainExactly listOf("accuracy", "top2", "loss")
            val optimizer = run.optimizers.getValue("default")
            val expected = Timeline.of(Phase.warmup(Duration.steps(5), 0.0), Phase.cosine(Duration.epochs(2), 0.1, 0.0)).inSteps(10)
            (1L..20L).map { optimizer.valuesAt("default", it)["lr"] } shouldBe (1L..20L).map { expected.at(it) }
            Files.readAllLines(log).size shouldBe 2
            Files.readAllLines(log)[1] shouldContain "\"epoch\":1,\"step\":20,"
            run.close()
        }
    }

    test("a pipeline written in Java with the engine's builder trains to the DSL's bits, and refuses a schedule shorter than the run alike") {
        fun kotlinRun(block: SequentialBlock, data: ArrayDataset, runEpochs: Int) = pipeline {
            model = block
            this.data = data
            validation = data
            loss = Losses.softmaxCrossEntropy()
            optimizer { sgd(lr = schedule { warmup(steps = 5) then cosine(epochs = 2, peak = 0.1) }, momentum = 0.9) }
            epochs = runEpochs
            metrics { accuracy(); loss() }
        }
        fun bits(block: SequentialBlock) = block.parameters.values().map { p -> p.array.toFloatArray().map { it.toRawBits() } }

        NDManager.newBaseManager().use { m ->
            val pool = Executors.newSingleThreadExecutor()
            try {
                val (kotlinBlock, kotlinData) = setUp(m, limit = 160) // 10 batches an epoch, counted by both
                val kotlinResult = kotlinRun(kotlinBlock, kotlinData, 2).use { runBlocking { it.fit() } }
                val (javaBlock, javaData) = setUp(m, limit = 160)
                val javaResult = JavaPipeline.train(javaBlock, javaData, 2, pool)
                javaResult.steps() shouldBe 20
                javaResult.figures() shouldBe kotlinResult.figures()
                bits(javaBlock) shouldBe bits(kotlinBlock)

                val tooLong = "optimizer.default.lr lasts 25 steps, but the run is planned for 30"
                shouldThrow<InvalidConfigException> { JavaPipeline.train(javaBlock, javaData, 3, pool) }.message shouldBe tooLong
                shouldThrow<InvalidConfigException> { kotlinRun(kotlinBlock, kotlinData, 3).optimizers }.message shouldBe tooLong
            } finally {
                pool.shutdown()
            }
        }
    }

    test("mistakes are refused with the field: missing parts, shared parameters, a schedule shorter than the run") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m, limit = 160)
            shouldThrow<InvalidConfigException> { pipeline { epochs = 0 } }.message shouldBe """5 problems:
  - pipeline.model is required
  - pipeline.data is required
  - pipeline.optimizer is required: optimizer { adam(...) }
  - pipeline.loss is required (or a step rule of your own)
  - pipeline.epochs must be at least 1, got 0"""
            shouldThrow<InvalidConfigException> {
                pipeline {
                    model = block; this.data = data; loss = Losses.softmaxCrossEntropy()
                    optimizer("a", glob("01*")) { adam() }
                    optimizer("b", glob("0*")) { adam() }
                }
            }.message shouldContain "pipeline.step is required with several optimizers [a, b]"
            val overlapping = pipeline {
                model = block; this.data = data
                optimizer("a", glob("01*")) { adam() }
                optimizer("b", glob("0*")) { adam() }
                step { 0.0 }
            }
            shouldThrow<InvalidConfigException> { overlapping.optimizers }.message shouldContain
                "optimizers.b shares parameter 01Linear_weight with a"
            val tooShort = pipeline {
                model = block; this.data = data; loss = Losses.softmaxCrossEntropy(); epochs = 3
                optimizer { sgd(lr = schedule { cosine(epochs = 2, peak = 0.1) }) }
            }
            shouldThrow<InvalidConfigException> { tooShort.optimizers }.message shouldContain
                "lasts 20 steps, but the run is planned for 30"
        }
    }
    class Accumulating(val name: String, val dsl: PipelineScope.() -> Unit, val java: EnginePipeline.Builder.() -> EnginePipeline.Builder) :
        WithDataTestName {
        override fun dataTestName() = name
    }

    context("accumulation in pipeline { } is the Java builder's, and trains to its bits") {
        withData(
            Accumulating("unset", {}, { this }),
            Accumulating("accumulate = 4", { accumulate = 4 }, { accumulate(4) }),
            Accumulating("accumulate = 4, sum, carried", { accumulate = 4; accumulateMode = SUM; accumulateEndOfEpoch = CARRY },
                { accumulate(4, SUM, CARRY) }),
        ) { case ->
            NDManager.newBaseManager().use { m ->
                val (kotlinBlock, kotlinData) = setUp(m, limit = 160) // 10 batches an epoch
                val kotlinRun = supervised(kotlinBlock, kotlinData, runEpochs = 2, extra = case.dsl)
                val (javaBlock, javaData) = setUp(m, limit = 160)
                val javaRun = EnginePipeline.builder().model(javaBlock).data(javaData).loss(Losses.softmaxCrossEntropy())
                    .optimizer(Optimizers.sgd().lr(0.1).momentum(0.9).build()).epochs(2).let(case.java).build()
                kotlinRun.accumulation shouldBe javaRun.accumulation()
                val kotlinResult = kotlinRun.use { it.run() }
                javaRun.use { it.run() }.figures() shouldBe kotlinResult.figures()
                values(javaBlock) shouldBe values(kotlinBlock)
                kotlinResult.steps shouldBe kotlinRun.accumulation.steps(10, 2) // 20, 6, and ceil(20 / 4) = 5
            }
        }
    }

    test("accumulate = 4 sets the engine's accumulation; a count below 1 is refused with its path") {
        NDManager.newBaseManager().use { m ->
            val (block, data) = setUp(m, limit = 160)
            supervised(block, data) { accumulate = 4 }.accumulation shouldBe Accumulation(4, Accumulation.DEFAULT_MODE, Accumulation.DEFAULT_END_OF_EPOCH)
            shouldThrow<InvalidConfigException> { supervised(block, data) { accumulate = 0 } }.message shouldBe
                "pipeline.accumulate must be at least 1 batch per step, got 0"
            shouldThrow<InvalidConfigException> {
                pipeline { model = block; this.data = data; optimizer { adam() }; step { 0.0 }; accumulate = 2 }
            }.message shouldBe "pipeline.accumulate belongs to the supervised step; a step rule of your own steps when it likes"
        }
    }
})
