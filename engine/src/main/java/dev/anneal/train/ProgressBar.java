package dev.anneal.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line terminal progress bar over each epoch, redrawn in place: steps done, rate, time
 * left, the current loss and learning rate.
 *
 * <pre>
 * epoch 1/10 [##########----------]  938/1875  412.5 steps/s  eta 0:02  loss 0.4123  lr 0.01000
 * </pre>
 */
public final class ProgressBar implements Callback {
    private static final int WIDTH = 20;

    private final PrintStream out;
    private final LongSupplier nanos;
    private long epochStart;

    public ProgressBar(PrintStream out) {
        this(out, System::nanoTime);
    }

    /** With a clock of its own, for tests. */
    ProgressBar(PrintStream out, LongSupplier nanos) {
        this.out = out;
        this.nanos = nanos;
    }

    @Override
    public void on(TrainingEvent event, Control control) {
        if (event instanceof TrainingEvent.BatchEnd b) {
            if (b.batch() == 1) {
                epochStart = nanos.getAsLong() - Math.round(b.millis() * 1e6);
            }
            out.print("\r" + line(b, (nanos.getAsLong() - epochStart) / 1e9));
            out.flush();
        } else if (event instanceof TrainingEvent.EpochEnd || event instanceof TrainingEvent.Stopped) {
            out.println();
        }
    }

    static String line(TrainingEvent.BatchEnd b, double seconds) {
        double rate = seconds > 0 ? b.batch() / seconds : 0;
        String total = b.batches() > 0 ? Long.toString(b.batches()) : "?";
        int filled = b.batches() > 0 ? (int) Math.min(WIDTH, WIDTH * b.batch() / b.batches()) : 0;
        long left = b.batches() > 0 && rate > 0 ? Math.round((b.batches() - b.batch()) / rate) : 0;
        return String.format(Locale.ROOT, "epoch %d/%d [%s%s] %5d/%s  %.1f steps/s  eta %d:%02d  loss %.4f  lr %.5f",
                b.epoch() + 1, b.epochs(), "#".repeat(filled), "-".repeat(WIDTH - filled), b.batch(), total, rate,
                left / 60, left % 60, b.loss(), b.lr());
    }
}
