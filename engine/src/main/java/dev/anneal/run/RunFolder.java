package dev.anneal.run;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anneal.internal.AtomicFile;
import dev.anneal.optim.AuditRow;
import dev.anneal.optim.Optimizer;
import dev.anneal.plot.LineChart;
import dev.anneal.schedule.Schedule;
import dev.anneal.train.Callback;
import dev.anneal.train.History;
import dev.anneal.train.TrainingEvent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run's folder, as Keras's CSVLogger and TensorBoard's log directory and Lightning's
 * {@code lightning_logs/version_N} give one: {@code config.json} (every optimizer's groups, their
 * parameters and their hyperparameters and schedules as resolved when the folder is made, written
 * at the first step, so that a run refused before training leaves the folder empty), {@code metrics.csv} and {@code metrics.jsonl} (every row of the run's {@link History},
 * steps and epochs in the order they were logged), the {@link Charts} as PNG files, and, when the
 * run ends, {@code diagnosis.txt} ({@link Diagnosis}); a {@link dev.anneal.train.Pipeline} adds the
 * checkpoints {@value #BEST} and {@value #FINAL}. The metrics and charts are rewritten
 * after every epoch and when the run stops, each file whole or not at all, so the folder always
 * holds a readable picture of the run so far. Add it to a loop as a {@link Callback}.
 */
public final class RunFolder implements Callback {
    public static final String CONFIG = "config.json";
    public static final String METRICS_CSV = "metrics.csv";
    public static final String METRICS_JSONL = "metrics.jsonl";
    public static final String DIAGNOSIS = "diagnosis.txt";
    /** The checkpoint of the best epoch, which the loop keeps ({@link dev.anneal.train.TrainingLoop.Builder#bestCheckpoint}). */
    public static final String BEST = "best.anneal";
    /** The checkpoint of the run's end ({@link dev.anneal.train.TrainingLoop.Builder#finalCheckpoint}). */
    public static final String FINAL = "final.anneal";

    /** One JSON object per line, non-finite figures as null. */
    private static final com.google.gson.Gson LINES = new GsonBuilder().serializeNulls().create();

    private final Path dir;
    /** config.json's text, written at the first step: a run refused before training writes nothing. */
    private final String config;
    private boolean configWritten;
    private final History history = new History();
    private int epochs;
    private Diagnosis diagnosis;

    private RunFolder(Path dir, String config) {
        this.dir = dir;
        this.config = config;
    }

    /** A folder at {@code dir} (made if missing; the files named above are replaced) for a run of one optimizer. */
    public static RunFolder create(Path dir, Optimizer<?> optimizer) {
        return create(dir, Map.of("default", optimizer));
    }

    /**
     * A folder at {@code dir} for a run of these optimizers, by name, made now (so that a folder
     * that cannot be made is an error before training); the files come with the run's first step.
     */
    public static RunFolder create(Path dir, Map<String, ? extends Optimizer<?>> optimizers) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the run folder " + dir, e);
        }
        return new RunFolder(dir, new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create()
                .toJson(config(optimizers)) + "\n");
    }

    /** Where the files are. */
    public Path dir() {
        return dir;
    }

    /** The rows logged so far. */
    public History history() {
        return history;
    }

    /** The diagnosis written when the run ended; null before. */
    public Diagnosis diagnosis() {
        return diagnosis;
    }

    @Override
    public void on(TrainingEvent event, Control control) {
        if (event instanceof TrainingEvent.BatchEnd && !configWritten) {
            write(dir.resolve(CONFIG), config);
            configWritten = true;
        } else if (event instanceof TrainingEvent.EpochEnd e) {
            epochs = e.epochs();
        } else if (event instanceof TrainingEvent.Logged logged) {
            history.add(logged.row());
            if (logged.row().kind() == History.Kind.EPOCH) {
                writeMetrics();
                if (logged.row().epoch() + 1 == epochs) {
                    finish(null);
                }
            }
        } else if (event instanceof TrainingEvent.Stopped stopped) {
            writeMetrics();
            finish(stopped.reason());
        }
    }

    private void finish(String stopReason) {
        diagnosis = Diagnosis.of(history, stopReason);
        write(dir.resolve(DIAGNOSIS), diagnosis.text() + "\n");
    }

    /** Rewrites the metrics files and the charts from the history so far. */
    private void writeMetrics() {
        List<String> columns = columns();
        StringBuilder csv = new StringBuilder("kind,epoch,step");
        columns.forEach(c -> csv.append(',').append(csvField(c)));
        csv.append('\n');
        StringBuilder jsonl = new StringBuilder();
        for (History.Row row : rows()) {
            csv.append(row.kind().name().toLowerCase(java.util.Locale.ROOT)).append(',').append(row.epoch())
                    .append(',').append(row.step());
            columns.forEach(c -> csv.append(',').append(row.values().containsKey(c) ? Double.toString(row.get(c)) : ""));
            csv.append('\n');
            JsonObject line = new JsonObject();
            line.addProperty("kind", row.kind().name().toLowerCase(java.util.Locale.ROOT));
            line.addProperty("epoch", row.epoch());
            line.addProperty("step", row.step());
            // JSON has no NaN: a figure that is not finite is written as null.
            row.values().forEach((name, value) -> line.add(name, Double.isFinite(value)
                    ? new com.google.gson.JsonPrimitive(value) : com.google.gson.JsonNull.INSTANCE));
            jsonl.append(LINES.toJson(line)).append('\n');
        }
        write(dir.resolve(METRICS_CSV), csv.toString());
        write(dir.resolve(METRICS_JSONL), jsonl.toString());
        Charts.all(history).forEach((name, chart) -> write(dir.resolve(name + ".png"), LineChart.png(chart)));
    }

    /** Every row, steps and epochs in the order they were logged: an epoch's row after its steps. */
    private List<History.Row> rows() {
        List<History.Row> rows = new ArrayList<>();
        int s = 0;
        List<History.Row> steps = history.steps();
        for (History.Row epoch : history.epochs()) {
            while (s < steps.size() && steps.get(s).epoch() <= epoch.epoch()) {
                rows.add(steps.get(s++));
            }
            rows.add(epoch);
        }
        rows.addAll(steps.subList(s, steps.size()));
        return rows;
    }

    private List<String> columns() {
        Set<String> columns = new LinkedHashSet<>(history.columns(History.Kind.STEP));
        columns.addAll(history.columns(History.Kind.EPOCH));
        return List.copyOf(columns);
    }

    /** A column name as a CSV field: quoted when it holds a comma, a quote or a line break. */
    private static String csvField(String name) {
        return name.matches("[^,\"\r\n]*") ? name : "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** Each optimizer's rule, and each group's parameters and values (constants as numbers, schedules as written). */
    private static JsonObject config(Map<String, ? extends Optimizer<?>> optimizers) {
        JsonObject root = new JsonObject();
        JsonObject all = new JsonObject();
        optimizers.forEach((name, optimizer) -> {
            JsonObject one = new JsonObject();
            one.addProperty("optimizer", optimizer.name());
            JsonObject groups = new JsonObject();
            Map<String, JsonArray> members = new LinkedHashMap<>();
            for (AuditRow row : optimizer.audit()) {
                members.computeIfAbsent(row.group(), g -> new JsonArray()).add(row.param());
            }
            for (String group : optimizer.groups()) {
                JsonObject values = new JsonObject();
                optimizer.hyperparams(group).fields().forEach((key, value) -> {
                    if (value instanceof Schedule s) {
                        Schedule.constantValue(s).ifPresentOrElse(v -> values.addProperty(key, v),
                                () -> values.addProperty(key, s.toString()));
                    } else if (value instanceof Boolean b) {
                        values.addProperty(key, b);
                    } else {
                        values.addProperty(key, String.valueOf(value));
                    }
                });
                JsonObject entry = new JsonObject();
                entry.add("parameters", members.getOrDefault(group, new JsonArray()));
                entry.add("values", values);
                groups.add(group, entry);
            }
            one.add("groups", groups);
            if (members.containsKey("-")) {
                one.add("frozen", members.get("-"));
            }
            all.add(name, one);
        });
        root.add("optimizers", all);
        return root;
    }

    private static void write(Path file, String text) {
        write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} to {@code file} whole or not at all. */
    private static void write(Path file, byte[] bytes) {
        try {
            AtomicFile.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + " in the run folder", e);
        }
    }
}
