package dev.anneal.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.anneal.config.Checks;
import dev.anneal.param.Param;
import dev.anneal.param.ParameterSet;
import dev.anneal.schedule.Plateau;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** The callbacks most runs want, besides {@link LossMonitor}. */
public final class Callbacks {
    private Callbacks() {
    }

    /**
     * Stops the run at the first loss that is NaN or infinite, saying at which step. The loop
     * itself already stops there, before the update and any checkpoint; this callback remains
     * for runs that report losses through events of their own making.
     */
    public static Callback stopOnNaN() {
        return (event, control) -> {
            if (event instanceof TrainingEvent.BatchEnd b && !Double.isFinite(b.loss())) {
                control.stop("loss is " + b.loss() + " at step " + b.step());
            }
        };
    }

    /**
     * Feeds each epoch's {@code figure} ({@code val_loss}, {@code val_accuracy}; set the plateau's
     * mode to match) to plateau control. A figure the run does not measure is refused before
     * training.
     */
    public static Callback plateau(Plateau plateau, String figure) {
        java.util.Objects.requireNonNull(plateau, "plateau");
        return (event, control) -> {
            if (event instanceof TrainingEvent.Started started) {
                Monitor.requireMeasured("plateau", figure, started.figures());
            } else if (event instanceof TrainingEvent.Logged logged && logged.row().kind() == History.Kind.EPOCH
                    && !Double.isNaN(logged.row().get(figure))) {
                plateau.observe(logged.row().get(figure), logged.row().step());
            }
        };
    }

    /** Appends one CSV row per epoch: epoch, step, mean loss, validation accuracy, milliseconds. */
    public static Callback csvLog(Path file) {
        return (event, control) -> {
            if (event instanceof TrainingEvent.EpochEnd e) {
                try {
                    boolean fresh = !Files.exists(file) || Files.size(file) == 0;
                    try (Writer out = Files.newBufferedWriter(file, java.nio.charset.StandardCharsets.UTF_8,
                            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)) {
                        if (fresh) {
                            out.write("epoch,step,mean_loss,validation_accuracy,millis\n");
                        }
                        out.write(String.format(Locale.ROOT, "%d,%d,%s,%s,%.3f%n", e.epoch(), e.step(), e.meanLoss(),
                                e.validationAccuracy(), e.millis()));
                    }
                } catch (IOException io) {
                    throw new UncheckedIOException("cannot write the metrics log " + file, io);
                }
            }
        };
    }

    /**
     * Appends one JSON object per line for each epoch: epoch, step, mean loss, milliseconds and
     * every validation figure by name. Non-finite figures are written as null, as JSON has no NaN.
     */
    public static Callback jsonLog(Path file) {
        Map<String, Double> validated = new java.util.LinkedHashMap<>();
        return (event, control) -> {
            if (event instanceof TrainingEvent.Validated v) {
                validated.clear();
                validated.putAll(v.metrics());
            } else if (event instanceof TrainingEvent.EpochEnd e) {
                StringBuilder line = new StringBuilder();
                line.append("{\"epoch\":").append(e.epoch()).append(",\"step\":").append(e.step())
                        .append(",\"mean_loss\":").append(json(e.meanLoss()))
                        .append(",\"millis\":").append(json(e.millis()));
                validated.forEach((name, value) -> line.append(",\"").append(name).append("\":").append(json(value)));
                line.append("}\n");
                validated.clear();
                try {
                    Files.writeString(file, line, java.nio.charset.StandardCharsets.UTF_8,
                            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                } catch (IOException io) {
                    throw new UncheckedIOException("cannot write the metrics log " + file, io);
                }
            }
        };
    }

    private static String json(double value) {
        return Double.isFinite(value) ? Double.toString(value) : "null";
    }

    /**
     * Early stopping, as Keras's {@code EarlyStopping}: stops at the end of the {@code patience}-th
     * epoch in a row whose {@code monitor}ed figure did not improve on the best (0: the first), and, if asked, puts back the parameters
     * of the best epoch. A figure the run does not measure (a validation figure without a
     * validation set, a metric it does not take) is refused before training.
     */
    public static Callback earlyStopping(Monitor monitor, int patience, ParameterSet restoreBestOf) {
        java.util.Objects.requireNonNull(monitor, "monitor");
        Checks c = new Checks("earlyStopping");
        c.require(patience >= 0, "patience", "must be at least 0, got " + patience);
        c.throwIfAny();
        return new Callback() {
            private double best = monitor.worst();
            private int waited;
            private Map<String, NDArray> bestValues;

            @Override
            public void on(TrainingEvent event, Control control) {
                if (event instanceof TrainingEvent.Started started) {
                    Monitor.requireMeasured("earlyStopping", monitor.figure(), started.figures());
                }
                if (!(event instanceof TrainingEvent.Logged logged) || logged.row().kind() != History.Kind.EPOCH) {
                    return;
                }
                double value = logged.row().get(monitor.figure());
                if (monitor.improves(value, best)) {
                    best = value;
                    waited = 0;
                    if (restoreBestOf != null) {
                        if (bestValues != null) {
                            bestValues.values().forEach(NDArray::close);
                        }
                        bestValues = new HashMap<>();
                        for (Param p : restoreBestOf.all()) {
                            NDArray copy = p.array().duplicate();
                            NDScope.unregister(copy);
                            bestValues.put(p.name(), copy);
                        }
                    }
                } else if (++waited >= patience) { // as Keras: the patience-th epoch without improvement stops
                    if (bestValues != null) {
                        for (Param p : restoreBestOf.all()) {
                            p.assign(bestValues.get(p.name()));
                        }
                        bestValues.values().forEach(NDArray::close);
                        bestValues = null;
                    }
                    control.stop(String.format(Locale.ROOT, "no improvement of %s on %.4f for %d epoch%s", monitor.figure(),
                            best, waited, waited == 1 ? "" : "s"));
                }
            }
        };
    }
}
