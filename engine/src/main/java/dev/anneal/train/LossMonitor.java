package dev.anneal.train;

import dev.anneal.config.Shown;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Prints the loss in the format of MindSpore's {@code LossMonitor}, which MindSpore users read
 * at a glance, every {@code every} steps and at each epoch's last step:
 *
 * <pre>
 * Epoch:[ 0/10], step:[1875/1875], loss:[0.189/1.176], time:2.254 ms, lr:0.01
 * </pre>
 *
 * The loss is this step's, then the epoch's mean so far. The counts are padded to their totals'
 * widths, not to MindSpore's fixed ones, so that a line fits 80 columns. {@link TimeMonitor} prints the epoch's
 * time.
 */
public final class LossMonitor implements Callback {
    private final PrintStream out;
    private final long every;

    public LossMonitor(PrintStream out, long every) {
        if (every < 1) {
            throw new dev.anneal.config.InvalidConfigException("lossMonitor.every", "must be at least 1, got " + every);
        }
        this.out = out;
        this.every = every;
    }

    @Override
    public void on(TrainingEvent event, Control control) {
        if (event instanceof TrainingEvent.BatchEnd b && (b.batch() % every == 0 || b.batch() == b.batches())) {
            out.println(batchLine(b));
        }
    }

    static String batchLine(TrainingEvent.BatchEnd b) {
        String epochs = Integer.toString(b.epochs());
        String batches = Long.toString(b.batches());
        return String.format(Locale.ROOT, "Epoch:[%" + epochs.length() + "d/%s], step:[%" + batches.length()
                + "d/%s], loss:[%.3f/%.3f], time:%.3f ms, lr:%s", b.epoch(), epochs, b.batch(), batches, b.loss(),
                b.meanLoss(), b.millis(), Shown.figure(b.lr())) + gradientFigures(b);
    }

    /** The clipping norm, the loss scale and the skipped steps, when there is clipping, scaling or a skip. */
    private static String gradientFigures(TrainingEvent.BatchEnd b) {
        StringBuilder s = new StringBuilder();
        if (!Double.isNaN(b.gradNorm())) {
            s.append(String.format(Locale.ROOT, ", grad norm:%.4g", b.gradNorm()));
        }
        if (b.lossScale() != 1 || b.skippedSteps() > 0) {
            s.append(String.format(Locale.ROOT, ", loss scale:%.6g, skipped:%d", b.lossScale(), b.skippedSteps()));
        }
        return s.toString();
    }
}
