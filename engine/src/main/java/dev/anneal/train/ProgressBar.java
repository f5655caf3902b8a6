package dev.anneal.train;

import dev.anneal.config.Shown;
import dev.anneal.terminal.LiveLine;
import dev.anneal.terminal.Terminal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * A progress bar over each epoch on one {@link LiveLine}: steps done, rate, time left, the
 * current loss and learning rate, cut to the terminal's width so that it never wraps, redrawn at
 * most {@value #REDRAWS_PER_SECOND} times a second, and left on the screen at each epoch's end.
 * Text printed meanwhile goes above it on lines of its own.
 *
 * <pre>
 * epoch 1/10 [######------] 938/1875 412.5 it/s eta 0:02 loss 0.4123 lr 3.2e-05
 * </pre>
 */
public final class ProgressBar implements Callback {
    static final int REDRAWS_PER_SECOND = 10;
    private static final int MOST_BAR = 30;
    private static final int LEAST_BAR = 5;
    /** Room left at the line's end, for the {@code ^C} a terminal echoes on an interrupt. */
    private static final int MARGIN = 3;

    private final LiveLine line;
    private final IntSupplier columns;
    private final LongSupplier nanos;
    private long epochStart;
    private long epochFirstBatch;
    private long lastDrawn;
    private int width;
    private int epoch = -1;

    /** With its own line, width and clock, for tests. */
    ProgressBar(LiveLine line, IntSupplier columns, LongSupplier nanos) {
        this.line = line;
        this.columns = columns;
        this.nanos = nanos;
    }

    /**
     * A progress bar when the program runs on a terminal ({@link Terminal#present()}); otherwise
     * a callback that does nothing, so that a piped or redirected log gets no redraws.
     */
    public static Callback onTerminal() {
        return Terminal.present() ? always() : (event, control) -> { };
    }

    /**
     * A progress bar even where Java sees no terminal (an IDE's run console that draws carriage
     * returns): {@code System.out} and {@code System.err} are routed around its line all the same.
     */
    public static Callback always() {
        return new ProgressBar(LiveLine.ofTerminal(), Terminal::columns, System::nanoTime);
    }

    @Override
    public void on(TrainingEvent event, Control control) {
        if (event instanceof TrainingEvent.BatchEnd b) {
            long now = nanos.getAsLong();
            boolean first = b.epoch() != epoch; // batch 1, or the first after a resume mid-epoch
            if (first) {
                epoch = b.epoch();
                epochStart = now - Math.round(b.millis() * 1e6);
                epochFirstBatch = b.batch() - 1;
                width = columns.getAsInt(); // once an epoch: a resized terminal is followed
            }
            if (first || b.batch() == b.batches() || now - lastDrawn >= 1_000_000_000L / REDRAWS_PER_SECOND) {
                line.show(line(b, b.batch() - epochFirstBatch, (now - epochStart) / 1e9, width));
                lastDrawn = now;
            }
        } else if (event instanceof TrainingEvent.EpochEnd || event instanceof TrainingEvent.Stopped
                || event instanceof TrainingEvent.Failed) {
            line.finish();
        }
    }

    /**
     * The bar for batch {@code b}, the {@code trained}-th of this run in its epoch, {@code seconds}
     * after the epoch's first, in at most {@code columns - 3} characters: the bar narrows first,
     * then goes, then the figures at the end go.
     */
    static String line(TrainingEvent.BatchEnd b, long trained, double seconds, int columns) {
        double rate = seconds > 0 ? trained / seconds : 0;
        boolean known = b.batches() > 0;
        String total = known ? Long.toString(b.batches()) : "?";
        List<String> figures = new ArrayList<>(List.of(
                String.format(Locale.ROOT, "epoch %d/%d", b.epoch() + 1, b.epochs()),
                String.format(Locale.ROOT, "%" + total.length() + "d/%s", b.batch(), total),
                String.format(Locale.ROOT, "%.1f it/s", rate)));
        if (known && rate > 0) {
            long left = Math.round((b.batches() - b.batch()) / rate);
            figures.add(String.format(Locale.ROOT, "eta %d:%02d", left / 60, left % 60));
        }
        figures.add("loss " + Shown.figure(b.loss()));
        figures.add("lr " + Shown.figure(b.lr()));
        int room = columns - MARGIN;
        int bar = Math.min(MOST_BAR, room - String.join(" ", figures).length() - 3);
        while (figures.size() > 1 && String.join(" ", figures).length() > room) {
            figures.remove(figures.size() - 1);
        }
        if (known && bar >= LEAST_BAR) {
            int filled = (int) Math.min(bar, bar * b.batch() / b.batches());
            figures.add(1, "[" + "#".repeat(filled) + "-".repeat(bar - filled) + "]");
        }
        String text = String.join(" ", figures);
        return text.length() <= room ? text : text.substring(0, Math.max(0, room));
    }
}
