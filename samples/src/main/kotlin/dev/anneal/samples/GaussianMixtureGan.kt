package dev.anneal.samples

import ai.djl.engine.Engine
import ai.djl.ndarray.NDList
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.AbstractBlock
import ai.djl.nn.Activation
import ai.djl.nn.Block
import ai.djl.nn.SequentialBlock
import ai.djl.nn.core.Linear
import ai.djl.training.ParameterStore
import ai.djl.training.dataset.ArrayDataset
import ai.djl.util.PairList
import dev.anneal.dsl.adam
import dev.anneal.dsl.named
import dev.anneal.dsl.pipeline
import dev.anneal.train.TrainingEvent
import dev.anneal.train.loss.Losses
import kotlinx.coroutines.runBlocking
import java.io.PrintStream
import java.util.Locale
import java.util.Random
import kotlin.math.sqrt

/**
 * A GAN on a 1-D mixture of two Gaussians, N(-2, 0.5²) and N(2, 0.5²) in equal parts: two
 * optimizers over the two halves of one model, the discriminator's step then the generator's on
 * every batch (Goodfellow et al., 2014, with the non-saturating generator loss).
 */
class GaussianMixtureGan @JvmOverloads constructor(
    private val seed: Int,
    private val epochs: Int,
    private val out: PrintStream,
    private val discriminatorLr: Double = 1e-3,
    private val generatorLr: Double = 1e-3,
) {
    /** Mean losses per epoch, and the generated samples' statistics at the end. */
    data class Report(
        val discriminatorLoss: List<Double>,
        val generatorLoss: List<Double>,
        val samples: FloatArray,
        val before: Map<String, FloatArray>,
        val after: Map<String, FloatArray>,
    ) {
        val mean: Double get() = samples.average()
        val std: Double get() = sqrt(samples.sumOf { (it - mean) * (it - mean) } / samples.size)

        /** The share of samples within 1 of [mode]. */
        fun near(mode: Double): Double = samples.count { kotlin.math.abs(it - mode) < 1 }.toDouble() / samples.size
    }

    /** Generator and discriminator under one parent, so one model holds both halves. */
    class Gan(noise: Int) : AbstractBlock() {
        val generator: Block = addChildBlock("generator", mlp(noise))
        val discriminator: Block = addChildBlock("discriminator", mlp(1))
        private val noiseSize = noise

        override fun forwardInternal(store: ParameterStore, inputs: NDList, training: Boolean, params: PairList<String, Any>?): NDList =
            discriminator.forward(store, generator.forward(store, inputs, training), training)

        override fun getOutputShapes(inputShapes: Array<Shape>): Array<Shape> = arrayOf(Shape(inputShapes[0][0], 1))

        override fun initializeChildBlocks(manager: NDManager, dataType: DataType, vararg inputShapes: Shape) {
            generator.initialize(manager, dataType, *inputShapes)
            discriminator.initialize(manager, dataType, Shape(inputShapes[0][0], 1))
        }

        fun noise(manager: NDManager, n: Long) = manager.randomNormal(Shape(n, noiseSize.toLong()))

        private companion object {
            fun mlp(@Suppress("UNUSED_PARAMETER") inputs: Int): Block = SequentialBlock()
                .add(Linear.builder().setUnits(32).build()).add(Activation.leakyReluBlock(0.2f))
                .add(Linear.builder().setUnits(32).build()).add(Activation.leakyReluBlock(0.2f))
                .add(Linear.builder().setUnits(1).build())
        }
    }

    fun run(): Report {
        Engine.getInstance().setRandomSeed(seed)
        NDManager.newBaseManager().use { manager ->
            val gan = Gan(NOISE)
            gan.initialize(manager, DataType.FLOAT32, Shape(BATCH.toLong(), NOISE.toLong()))
            val random = Random(seed.toLong())
            val real = FloatArray(SAMPLES) { ((if (random.nextBoolean()) 2.0 else -2.0) + 0.5 * random.nextGaussian()).toFloat() }
            val data = ArrayDataset.Builder().setData(manager.create(real, Shape(SAMPLES.toLong(), 1)))
                .setSampling(BATCH, true).build()
            val bce = Losses.binaryCrossEntropyWithLogits()
            val before = values(gan)
            val generatorLosses = mutableListOf<Double>()
            val discriminatorLosses = mutableListOf<Double>()
            var generatorSum = 0.0

            val run = pipeline {
                model = gan
                this.data = data
                epochs = this@GaussianMixtureGan.epochs
                optimizer("discriminator", named("discriminator")) { adam(lr = discriminatorLr, beta1 = 0.5) }
                optimizer("generator", named("generator")) { adam(lr = generatorLr, beta1 = 0.5) }
                step { batch ->
                    val samples = batch.data.singletonOrThrow()
                    val n = samples.shape[0]
                    val m = batch.manager
                    val ones = NDList(m.ones(Shape(n, 1)))
                    val zeros = NDList(m.zeros(Shape(n, 1)))
                    val discriminator = optimizer("discriminator")
                    discriminator.zeroGrad()
                    val dLoss = backward {
                        val fake = gan.generator.forward(store, NDList(gan.noise(m, n)), true).singletonOrThrow().stopGradient()
                        bce.evaluate(ones, gan.discriminator.forward(store, NDList(samples), true))
                            .add(bce.evaluate(zeros, gan.discriminator.forward(store, NDList(fake), true)))
                    }
                    discriminator.step()
                    val generator = optimizer("generator")
                    generator.zeroGrad()
                    generatorSum += backward { bce.evaluate(ones, forward(NDList(gan.noise(m, n)))) }
                    generator.step()
                    dLoss.toDouble()
                }
                callbacks {
                    on<TrainingEvent.EpochEnd> { e ->
                        discriminatorLosses += e.meanLoss()
                        generatorLosses += generatorSum / e.batches()
                        generatorSum = 0.0
                        if ((e.epoch() + 1) % 10 == 0 || e.epoch() == 0) {
                            out.printf(Locale.ROOT, "epoch %3d  discriminator loss %.4f  generator loss %.4f%n",
                                e.epoch() + 1, discriminatorLosses.last(), generatorLosses.last())
                        }
                    }
                }
            }
            run.use { runBlocking { it.fit() } }
            val generated = gan.generator.forward(ParameterStore(manager, false), NDList(gan.noise(manager, 4000)), false)
                .singletonOrThrow().toFloatArray()
            val report = Report(discriminatorLosses, generatorLosses, generated, before, values(gan))
            out.printf(Locale.ROOT, "generated: mean %.3f, std %.3f, %.0f%% near -2, %.0f%% near 2 (data: mean 0, std 2.06, 50%%/50%%)%n",
                report.mean, report.std, 100 * report.near(-2.0), 100 * report.near(2.0))
            return report
        }
    }

    private fun values(block: Block): Map<String, FloatArray> =
        block.parameters.associate { it.key to it.value.array.toFloatArray() }

    companion object {
        const val NOISE = 8
        const val BATCH = 64
        const val SAMPLES = 4096

        /** Epochs of `anneal gan` when none are given. */
        const val DEFAULT_EPOCHS = 60
    }
}
