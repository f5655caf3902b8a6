package dev.anneal.train;

import dev.anneal.internal.AtomicFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The best epoch's checkpoint a loop keeps ({@link TrainingLoop.Builder#bestCheckpoint}), with the
 * figure it was best by written beside it ({@code <file>.figure}: the figure's name and value), so
 * that a resumed run goes on from that best rather than replacing the file with its first epoch.
 */
final class BestCheckpoint {
    private final Path file;
    private final Monitor monitor;
    /** False on a data-parallel replica other than rank 0: it follows the best, rank 0 writes it. */
    private final boolean writes;
    private double best;

    /** Starts from the recorded best when {@code resumed} and a record for the same figure is there. */
    BestCheckpoint(Path file, Monitor monitor, boolean resumed, boolean writes) {
        this.file = file;
        this.monitor = monitor;
        this.writes = writes;
        this.best = resumed ? recorded() : monitor.worst();
    }

    boolean improvedBy(double value) {
        return monitor.improves(value, best);
    }

    /** After the checkpoint was written: records {@code value} as the best, atomically. */
    void kept(double value) {
        best = value;
        if (!writes) {
            return;
        }
        try {
            AtomicFile.write(record(), (monitor.figure() + " " + value + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + record(), e);
        }
    }

    /** The best recorded for this figure, or the worst value when there is no readable record of it. */
    private double recorded() {
        try {
            String[] parts = Files.readString(record(), StandardCharsets.UTF_8).trim().split(" ");
            double value = parts.length == 2 && parts[0].equals(monitor.figure()) ? Double.parseDouble(parts[1]) : Double.NaN;
            return Double.isFinite(value) && Files.isRegularFile(file) ? value : monitor.worst();
        } catch (IOException | NumberFormatException e) {
            return monitor.worst();
        }
    }

    private Path record() {
        return file.resolveSibling(file.getFileName() + ".figure");
    }
}
