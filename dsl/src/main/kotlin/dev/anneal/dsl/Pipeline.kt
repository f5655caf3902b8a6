package dev.anneal.dsl

import ai.djl.Device
import ai.djl.engine.Engine
import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDList
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.Block
import ai.djl.training.ParameterStore
import ai.djl.training.dataset.Batch
import ai.djl.training.dataset.Dataset
import ai.djl.training.loss.Loss
import dev.anneal.config.InvalidConfigException
import dev.anneal.data.IdxDataset
import dev.anneal.internal.FusedOps
import dev.anneal.internal.GradientTape
import dev.anneal.optim.Optimizer
import dev.anneal.optim.OptimizerSpec
import dev.anneal.param.Selector
import dev.anneal.state.CheckpointPolicy
import dev.anneal.train.Accumulation
import dev.anneal.train.Callback
import dev.anneal.train.HalfPrecision
import dev.anneal.train.Monitor
import dev.anneal.train.Pipeline as EnginePipeline
import dev.anneal.train.TrainingEvent
import dev.anneal.train.TrainingLoop
import dev.anneal.train.TrainingResult
import dev.anneal.train.TrainingStep
import dev.anneal.train.metric.MeanLoss
import dev.anneal.train.metric.Metric
import dev.anneal.train.metric.TopK
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.asExecutor
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.emitAll
import kotlinx.coroutines.flow.flow
import java.nio.file.Path

/**
 * A whole training run, read as its description:
 * ```
 * pipeline {
 *     model = lenet
 *     data = train
 *     validation = test
 *     loss = Losses.softmaxCrossEntropy()
 *     optimizer { momentum(lr = 0.01, momentum = 0.9) }
 *     epochs = 10
 *     metrics { accuracy() }
 *     callbacks { lossMonitor(every = 500.steps) }
 * }.fit()
 * ```
 * Several optimizers over disjoint parts of the model, each with its own name, take a step rule
 * of their own ([PipelineScope.step]). Nothing runs until [Pipeline.fit] or [Pipeline.events].
 */
public fun pipeline(block: PipelineScope.() -> Unit): Pipeline {
    val scope = PipelineScope()
    scope.block()
    return scope.build()
}

/** The inside of `pipeline { }`. */
@AnnealDsl
public class PipelineScope internal constructor() {
    /**
     * The model: a DJL block. Given uninitialized, the pipeline initializes it for [inputShape],
     * or for the first training batch's shape, and frees its parameters when it is closed.
     */
    public var model: Block? = null

    /** The input shape to initialize an uninitialized [model] for; null takes the first batch's. */
    public var inputShape: Shape? = null

    /**
     * The seed of DJL's random numbers, set as the pipeline is built, before it initializes the
     * [model]: the same seed gives the same run. Null leaves it as it is.
     */
    public var seed: Int? = null

    /**
     * Where the run computes: `gpu(0)` (the `-Pcuda` build) or `cpu()`. The model is initialized
     * there and batches are copied there; a GPU that cannot be used is refused before training.
     * Null (the default): the model's device, or the CPU.
     */
    public var device: Device? = null

    /** The training set. */
    public var data: Dataset? = null

    /** A set to measure [metrics] on after each epoch. */
    public var validation: Dataset? = null

    /** The loss the supervised step minimises, and the validation `loss()` metric measures. */
    public var loss: Loss? = null

    /** Passes over the training set. */
    public var epochs: Int = EnginePipeline.DEFAULT_EPOCHS

    /**
     * Batches read ahead on `Dispatchers.IO` while one trains; 0 reads each when it is needed.
     * Worth it when reading is slow (files, decoding). For data already in memory on a small CPU
     * machine, turn it off: libtorch work on a second thread slows the training thread (measured
     * on 2 cores: 9.1 s against 5.8 s for one Fashion-MNIST epoch).
     */
    public var prefetch: Int = 2

    /**
     * Batches per epoch, for schedules counted in epochs. Left unset, it is counted from [data]:
     * from its sampler for an [IdxDataset], else by one pass over the set. With [accumulate] the
     * optimizer steps per epoch follow from it.
     */
    public var stepsPerEpoch: Long? = null

    /**
     * Batches per optimizer step: their gradients add up, then one step ([Accumulation]); schedules
     * and the step counter count steps, events still come per batch. 1 steps on every batch.
     */
    public var accumulate: Int = Accumulation.DEFAULT_BATCHES

    /**
     * Mixed precision: `DataType.FLOAT16` trains the model in float16 while the optimizers update
     * float32 masters (give them a loss scale: `lossScale(dynamicLossScale())`); `BFLOAT16` only on a GPU.
     */
    public var precision: DataType = EnginePipeline.DEFAULT_PRECISION

    /** How the [accumulate]d batches' gradients combine: their mean (as one larger batch) or their sum. */
    public var accumulateMode: Accumulation.Mode = Accumulation.DEFAULT_MODE

    /** What an epoch's last, partial group of [accumulate] batches does: step on it, or carry it over. */
    public var accumulateEndOfEpoch: Accumulation.EndOfEpoch = Accumulation.DEFAULT_END_OF_EPOCH

    /**
     * A checkpoint to start from, written by a run of the same model and optimizers: training
     * continues at its epoch and batch. Null (the default) starts afresh.
     */
    public var resumeFrom: Path? = null

    /**
     * Resumes even when the optimizers are set otherwise than the ones that wrote the checkpoint
     * (more epochs under a cosine, another lr); false (the default) refuses such a resume, naming
     * each setting with its value then and now.
     */
    public var acceptChangedSettings: Boolean = false

    /**
     * A folder for the run's `metrics.csv`, `metrics.jsonl`, `config.json`, charts,
     * `diagnosis.txt` and the checkpoints `best.anneal` and `final.anneal` (the engine's
     * `RunFolder`), made if missing; null (the default) writes none.
     */
    public var runFolder: Path? = null

    /**
     * The figure `best.anneal` is kept by: `Monitor("val_accuracy", Monitor.Mode.MAX)`; null (the
     * default) takes `val_loss` when the validation measures the loss, else `train_loss`.
     */
    public var bestBy: Monitor? = null

    private var checkpoints: CheckpointPolicy? = null

    private val engine = EnginePipeline.builder()
    private var step: (StepScope.(Batch) -> Double)? = null
    private val metricMakers = mutableListOf<(Loss?) -> Metric>()
    private val callbackMakers = mutableListOf<(Block) -> Callback>()

    // The same settings as calls: in a script, a `val model` (`data`, `validation`, `loss`,
    // `epochs`) of the user's own shadows the property, so `model = model` does not compile;
    // `model(model)` does.

    /** Sets [model]. */
    public fun model(block: Block) {
        model = block
    }

    /** Sets [data]. */
    public fun data(set: Dataset) {
        data = set
    }

    /** Sets [validation]. */
    public fun validation(set: Dataset) {
        validation = set
    }

    /** Sets [loss]. */
    public fun loss(function: Loss) {
        loss = function
    }

    /** Sets [epochs]. */
    public fun epochs(count: Int) {
        epochs = count
    }

    /** The optimizer of the whole model (the one of a supervised run), named `default`. */
    public fun <G> optimizer(block: OptimizerScope<G>.() -> Unit) {
        engine.optimizer(dev.anneal.dsl.optimizer(block))
    }

    /**
     * An optimizer named [name] over the parameters [parameters] picks, such as a GAN's
     * `optimizer("generator", glob("generator*")) { adam(lr = 2e-4, beta1 = 0.5) }`. Parts must not
     * share a trainable parameter; a [step] rule says when each one steps.
     */
    public fun <G> optimizer(name: String, parameters: Selector, block: OptimizerScope<G>.() -> Unit) {
        engine.optimizer(name, parameters, dev.anneal.dsl.optimizer(block))
    }

    /**
     * What to do with each batch instead of the supervised step, returning the loss to report:
     * a GAN's discriminator step then generator step. It must leave every optimizer after whole steps.
     */
    public fun step(rule: StepScope.(Batch) -> Double) {
        step = rule
    }

    /** The figures to measure on [validation] after each epoch; accuracy when none is named. */
    public fun metrics(block: MetricsScope.() -> Unit) {
        MetricsScope(metricMakers).block()
    }

    /** What to tell of the run, and what may stop it. */
    public fun callbacks(block: CallbacksScope.() -> Unit) {
        CallbacksScope(callbackMakers) { policy ->
            if (checkpoints != null) throw InvalidConfigException("pipeline.callbacks.checkpoint", "is given twice; one policy writes them all")
            checkpoints = policy
        }.block()
    }

    internal fun build(): Pipeline {
        // Without a model build() refuses, so no step rule or callback runs without one.
        val block = model
        val rule = step
        engine.model(block).data(data).validation(validation).loss(loss).epochs(epochs)
            .prefetch(Dispatchers.IO.asExecutor(), prefetch).checkpoints(checkpoints).resumeFrom(resumeFrom)
            .runFolder(runFolder)
            .bestBy(bestBy)
            .acceptChangedSettings(acceptChangedSettings)
            .seed(seed)
            .device(device)
            .inputShape(inputShape)
            .accumulate(accumulate, accumulateMode, accumulateEndOfEpoch).precision(precision)
            .step(rule?.let { TrainingStep { batch, context -> StepScope(context, block!!, precision).rule(batch) } })
        stepsPerEpoch?.let { engine.stepsPerEpoch(it) }
        metricMakers.forEach { engine.metric(it(loss)) }
        block?.let { b -> callbackMakers.forEach { make -> engine.callback { make(b) } } }
        return Pipeline(engine.build())
    }
}

/**
 * A described run, the engine's [EnginePipeline]: [fit] trains it. Its optimizers are compiled on
 * the first run, once the steps per epoch are known, and are kept (with their state) for later
 * runs and for reading; [close] frees them.
 */
public class Pipeline internal constructor(private val engine: EnginePipeline) : AutoCloseable {
    /** The model being trained. */
    public val model: Block get() = engine.model()

    /** Passes over the training set. */
    public val epochs: Int get() = engine.epochs()

    /** How many batches each optimizer step takes, and how they combine. */
    public val accumulation: Accumulation get() = engine.accumulation()

    /** Each optimizer's spec as declared, by name (`default` for the single optimizer). */
    public val specs: Map<String, OptimizerSpec<*>> get() = engine.parts().mapValues { it.value.spec() }

    /** Each optimizer's parameters, by name. */
    public val selectors: Map<String, Selector?> get() = engine.parts().mapValues { it.value.selector() }

    /** The compiled optimizers, by name; compiled now if no run has done it yet. */
    public val optimizers: Map<String, Optimizer<*>> get() = engine.optimizers()

    /**
     * The engine's loop this pipeline runs, for Java callers and for blocking use; [fit] runs the
     * same loop. Compiles the optimizers if no run has yet.
     */
    public fun loop(): TrainingLoop.Builder = engine.loop()

    /**
     * Trains, off the caller's thread, with batches read ahead on `Dispatchers.IO`. Cancelling
     * stops between batches: the model, the optimizers and their step counters stand after a
     * whole number of steps. No coroutine or read outlives the call.
     */
    public suspend fun fit(): TrainingResult = loop().fit()

    /**
     * Trains on the calling thread, blocking: the form for Java and for a program's main thread.
     * On the CPU, libtorch runs a model's steps slower on a thread other than the one that first
     * used it (each thread gets its own OpenMP team), so a main job that built its model on the
     * main thread trains fastest here.
     */
    public fun run(): TrainingResult = engine.run()

    /** The run's events as a cold flow; collecting runs the training, and stopping the collection stops it. */
    public fun events(): Flow<TrainingEvent> = flow { emitAll(loop().events()) }

    /**
     * The pipeline's metrics (accuracy when none are named) over [data], the validation set by
     * default, with the model in inference mode: `evaluate()["accuracy"]`, as Keras's `evaluate`.
     */
    public fun evaluate(data: Dataset? = null): Map<String, Double> =
        if (data == null) engine.evaluate() else engine.evaluate(data)

    /** The model's output for [input], in inference mode, in the input's manager: Keras's `predict`. */
    public fun predict(input: NDArray): NDArray = engine.predict(input)

    /** The model's outputs for [inputs], in inference mode. */
    public fun predict(inputs: NDList): NDList = engine.predict(inputs)

    /** The model layer by layer: output shapes, parameter counts and groups, then the totals (Keras's `summary()`). */
    public fun summary(): String = engine.summary()

    /**
     * Frees the optimizers' state, and the model's parameters when the pipeline initialized them
     * (save or evaluate it first); a model given initialized stays the caller's.
     */
    override fun close() {
        engine.close()
    }
}

/** What a step rule of its own may use: the model, the optimizers, a gradient tape. */
@AnnealDsl
public class StepScope internal constructor(
    private val context: TrainingStep.Context,
    private val model: Block,
    private val precision: DataType,
) {
    /** The optimizer declared as [name]. */
    public fun optimizer(name: String): Optimizer<*> = context.optimizer(name)

    /** The store to run blocks with in training mode. */
    public val store: ParameterStore get() = context.store()

    /**
     * The model's outputs for [inputs], in training mode; in mixed precision the inputs go in
     * in the model's half type and the outputs come back in float32, for the loss.
     */
    public fun forward(inputs: NDList): NDList =
        HalfPrecision.outputs(model.forward(store, HalfPrecision.inputs(inputs, precision), true))

    /**
     * Records [compute] on a gradient tape, back-propagates the scalar it returns times [lossScale]
     * (the stepping optimizer's `lossScale()` when it scales the loss), and returns its value.
     * Inside [compute], give operations tensors rather than Java numbers (`x.mul(0.5)`): DJL frees
     * a number's tensor when the operation returns, and the graph would read freed memory here.
     */
    public fun backward(lossScale: Float = 1f, compute: () -> NDArray): Float =
        GradientTape.open(Engine.getInstance().engineName).use { tape ->
            val value = compute()
            tape.backward(if (lossScale == 1f) value else value.mul(FusedOps.constant(value, lossScale)))
            value.getFloat()
        }
}

/** The figures `metrics { }` may name. */
@AnnealDsl
public class MetricsScope internal constructor(private val makers: MutableList<(Loss?) -> Metric>) {
    /** Fraction of samples whose highest score is their label. */
    public fun accuracy() {
        makers += { TopK.accuracy() }
    }

    /** Fraction of samples whose label is among the [k] highest scores, reported as `top<k>`. */
    public fun topK(k: Int) {
        TopK(k) // refuses a bad k where it is written
        makers += { TopK(k) }
    }

    /** The pipeline's loss, averaged over the validation samples. */
    public fun loss() {
        makers += { loss ->
            MeanLoss(loss ?: throw InvalidConfigException("pipeline.metrics.loss", "needs the pipeline's loss"))
        }
    }
}

/**
 * The newest good checkpoint in [dir] (the highest step that passes its checks), or null when
 * there is none: what to resume from. Each newer one passed over is told to [skipped], one line
 * saying which file and why.
 */
public fun latestCheckpoint(dir: Path, skipped: (String) -> Unit = { System.err.println(it) }): Path? =
    CheckpointPolicy.latest(dir).also { it.skipped().forEach(skipped) }.file().orElse(null)

/** A GPU by its index, for `device = gpu(0)`. */
public fun gpu(index: Int = 0): Device = Device.gpu(index)

/** The CPU, for `device = cpu()`. */
public fun cpu(): Device = Device.cpu()
