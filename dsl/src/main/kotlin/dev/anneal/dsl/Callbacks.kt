package dev.anneal.dsl

import ai.djl.nn.Block
import dev.anneal.param.ParameterSet
import dev.anneal.schedule.Plateau
import dev.anneal.state.CheckpointPolicy
import dev.anneal.train.Callback
import dev.anneal.train.Callbacks
import dev.anneal.train.LossMonitor
import dev.anneal.train.Monitor
import dev.anneal.terminal.Terminal
import dev.anneal.train.ProgressBar
import dev.anneal.train.TimeMonitor
import dev.anneal.train.TrainingEvent
import java.io.PrintStream
import java.nio.file.Path

/** The callbacks `callbacks { }` offers; each is the engine's, in the order written. */
@AnnealDsl
public class CallbacksScope internal constructor(
    private val makers: MutableList<(Block) -> Callback>,
    private val checkpoints: (CheckpointPolicy) -> Unit,
) {
    /**
     * MindSpore's loss monitor line every [every] steps and at each epoch's last batch:
     * `Epoch:[ 0/10], step:[1875/1875], loss:[0.189/1.176], time:2.254 ms, lr:0.01`.
     */
    public fun lossMonitor(every: Steps = 1.steps, out: PrintStream = Terminal.out()) {
        val monitor = LossMonitor(out, every.count)
        makers += { monitor }
    }

    /** MindSpore's time monitor: each epoch's time and time per step. */
    public fun timeMonitor(out: PrintStream = Terminal.out()) {
        makers += { TimeMonitor(out) }
    }

    /**
     * A progress bar redrawn in place, cut to the terminal's width: steps done, rate, time left,
     * current loss and lr. Only when the program runs on a terminal, so logs stay clean, unless
     * [always] (an IDE's console that Java does not see as a terminal); text printed meanwhile
     * (`println`, the monitors) goes above it.
     */
    public fun progressBar(always: Boolean = false) {
        makers += { if (always) ProgressBar.always() else ProgressBar.onTerminal() }
    }

    /**
     * Stops when the epoch figure [monitor] (`val_accuracy`, `val_loss`, `train_loss`, ...) has
     * not improved by more than [minDelta] in the direction [mode] for [patience] epochs; with
     * [restoreBest], puts back the parameters of the best epoch. A figure the run does not
     * measure is refused before training.
     */
    public fun earlyStopping(
        patience: Epochs,
        monitor: String = "val_accuracy",
        mode: Monitor.Mode = Monitor.Mode.MAX,
        minDelta: Double = 0.0,
        restoreBest: Boolean = true,
    ) {
        val watched = Monitor(monitor, mode, minDelta)
        Callbacks.earlyStopping(watched, patience.count, null) // refuses bad values where they are written
        makers += { model -> Callbacks.earlyStopping(watched, patience.count, if (restoreBest) ParameterSet.of(model) else null) }
    }

    /** Stops at the first loss that is NaN or infinite. */
    public fun stopOnNaN() {
        makers += { Callbacks.stopOnNaN() }
    }

    /**
     * Feeds each epoch's figure [monitor] to [plateau]: `plateau(p, monitor = "val_loss")` for one
     * made with `mode = MIN`, `"val_accuracy"` for one with `MAX`. A figure the run does not
     * measure is refused before training.
     */
    public fun plateau(plateau: Plateau, monitor: String) {
        makers += { Callbacks.plateau(plateau, monitor) }
    }

    /** One CSV row per epoch. */
    public fun csvLog(file: Path) {
        makers += { Callbacks.csvLog(file) }
    }

    /** One JSON object per line per epoch, with every validation figure. */
    public fun jsonLog(file: Path) {
        makers += { Callbacks.jsonLog(file) }
    }

    /**
     * Writes a checkpoint into [dir] after every [every] epochs (parameters, optimizer and
     * plateau state, position), keeping the newest [keep]; each is reported as
     * [TrainingEvent.Checkpointed]. Resume with `resumeFrom = latestCheckpoint(dir)`.
     */
    public fun checkpoint(dir: Path, every: Epochs = 1.epochs, keep: Int = Int.MAX_VALUE) {
        checkpoints(CheckpointPolicy.everyEpochs(dir, every.count).keep(keep))
    }

    /** Writes a checkpoint into [dir] after every [every] optimizer steps, keeping the newest [keep]. */
    public fun checkpoint(dir: Path, every: Steps, keep: Int = Int.MAX_VALUE) {
        checkpoints(CheckpointPolicy.everySteps(dir, every.count).keep(keep))
    }

    /** Any callback of the engine's, or one's own. */
    public fun add(callback: Callback) {
        makers += { callback }
    }

    /** Runs [handler] on every event of type [E]: `on<TrainingEvent.EpochEnd> { println(it.meanLoss) }`. */
    public inline fun <reified E : TrainingEvent> on(crossinline handler: (E) -> Unit) {
        add { event, _ -> if (event is E) handler(event) }
    }
}
