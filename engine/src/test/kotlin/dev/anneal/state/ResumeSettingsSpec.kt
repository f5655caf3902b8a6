package dev.anneal.state

import ai.djl.ndarray.NDManager
import ai.djl.nn.SequentialBlock
import ai.djl.training.dataset.ArrayDataset
import dev.anneal.config.InvalidConfigException
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Duration
import dev.anneal.schedule.Phase
import dev.anneal.schedule.Plateau
import dev.anneal.schedule.Schedule
import dev.anneal.schedule.Timeline
import dev.anneal.support.fixedClassifier
import dev.anneal.train.TrainingLoop
import dev.anneal.train.loss.Losses
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.nio.file.Path
import kotlin.io.path.createTempDirectory

/** A resume compares the run's optimizer settings with those the checkpoint recorded. */
class ResumeSettingsSpec : FunSpec({
    /** A cosine from 0.1 over [steps] steps: 8 batches an epoch below. */
    fun cosine(steps: Long): Schedule = Timeline.of(Phase.cosine(Duration.steps(steps), 0.1)).toSchedule()

    fun setUp(manager: NDManager) = fixedClassifier(manager)

    fun run(manager: NDManager, block: SequentialBlock, data: ArrayDataset, lr: Schedule, epochs: Int,
            build: TrainingLoop.Builder.() -> Unit) {
        Optimizers.sgd().lr(lr).momentum(0.9).build().compile(ParameterSet.of(block)).use { sgd ->
            TrainingLoop.builder().block(block).loss(Losses.softmaxCrossEntropy()).optimizer(sgd).train(data)
                .epochs(epochs).manager(manager).apply(build).build().run()
        }
    }

    test("a resume whose schedule now runs longer is refused, naming the setting then and now, and changes nothing") {
        NDManager.newBaseManager().use { m ->
            val dir = createTempDirectory("settings")
            val (block, data) = setUp(m)
            run(m, block, data, cosine(16), 1) { checkpoints(CheckpointPolicy.everyEpochs(dir, 1)) }
            val saved: Path = CheckpointPolicy.latest(dir).file().orElseThrow()
            val before = block.parameters.values().map { it.array.toFloatArray().toList() }
            val e = shouldThrow<InvalidConfigException> { run(m, block, data, cosine(32), 2) { resumeFrom(saved) } }
            e.message shouldContain "cannot resume from $saved; nothing was changed"
            e.message shouldContain "checkpoint.settings[\"default\"][\"default.lr\"] at step 9 it was ${cosine(16).at(9)} when " +
                "the checkpoint was written and is ${cosine(32).at(9)} now; it had last step 16 and has last step 32 now"
            e.message shouldContain "trainingLoop.acceptChangedSettings is false"
            e.violations().size shouldBe 2 + 1 // the file, the lr, what to set
            block.parameters.values().map { it.array.toFloatArray().toList() } shouldBe before
            // The same settings resume; changed ones do when accepted.
            run(m, block, data, cosine(16), 2) { resumeFrom(saved) }
            run(m, block, data, cosine(32), 2) { resumeFrom(saved).acceptChangedSettings(true) }
        }
    }

    test("a checkpoint that records no settings resumes without the comparison") {
        NDManager.newBaseManager().use { m ->
            val dir = createTempDirectory("settings-none")
            val (block, data) = setUp(m)
            run(m, block, data, cosine(16), 1) { checkpoints(CheckpointPolicy.everyEpochs(dir, 1)) }
            val saved = CheckpointPolicy.latest(dir).file().orElseThrow()
            val old = dir.resolve("old.anneal")
            NDManager.newBaseManager().use { reading ->
                val c = CheckpointFile.read(saved, reading)
                c.settings().keys shouldBe setOf("default")
                CheckpointFile.write(old, Checkpoint(c.epoch(), c.batch(), c.parameters(), c.optimizers(), c.plateaus()))
                CheckpointFile.read(old, reading).settings() shouldBe emptyMap()
            }
            run(m, block, data, cosine(32), 2) { resumeFrom(old) }
        }
    }

    test("settings hold each group's values: flags and constants as they are, schedules read after the step, plateaus left out") {
        NDManager.newBaseManager().use { m ->
            val (block, _) = setUp(m)
            Optimizers.sgd().lr(Plateau.over(cosine(16))).momentum(0.9).build().compile(ParameterSet.of(block)).use { sgd ->
                val settings = Settings.of(sgd, 8)
                settings.getValue("default.lr") shouldBe "under plateau control"
                settings.getValue("default.momentum") shouldBe Schedule.constant(0.9).let { c ->
                    Settings.PROBES.joinToString("") { "${c.at(8 + it)} at ${8 + it}, " } + "no last step"
                }
                settings.getValue("default.nesterov") shouldBe "false"
            }
            Optimizers.sgd().lr(cosine(16)).build().compile(ParameterSet.of(block)).use { sgd ->
                Settings.of(sgd, 8).getValue("default.lr") shouldBe
                    Settings.PROBES.joinToString("") { "${cosine(16).at(8 + it)} at ${8 + it}, " } + "last step 16"
            }
        }
    }
})
