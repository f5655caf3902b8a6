package dev.anneal.spark;

import dev.anneal.train.History;
import dev.anneal.train.TrainingEvent;
import dev.anneal.train.TrainingResult;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rank 0's events and result as they travel to the driver: each a tag and its fields, written
 * field by field. No Java serialization: nothing the driver reads can name a class to build, and
 * every count read is bounded before anything is allocated.
 */
final class EventWire {
    private static final int STARTED = 1;
    private static final int BATCH_END = 2;
    private static final int EPOCH_END = 3;
    private static final int VALIDATED = 4;
    private static final int CHECKPOINTED = 5;
    private static final int LOGGED = 6;
    private static final int STOPPED = 7;
    private static final int FAILED = 8;
    private static final int RESULT = 9;
    /** The most entries a list or map may declare: far above any run's figures, far below a memory problem. */
    private static final int MAX_ENTRIES = 100_000;
    /** The most history rows a result may declare: a row per 10 steps of a 100-million-step run. */
    private static final int MAX_ROWS = 10_000_000;
    /** writeUTF's limit, in characters of the longest text that surely fits. */
    private static final int MAX_TEXT = 20_000;

    private EventWire() {
    }

    static void write(DataOutputStream out, TrainingEvent event) throws IOException {
        if (event instanceof TrainingEvent.Started e) {
            out.writeByte(STARTED);
            out.writeInt(e.epochs());
            writeTexts(out, e.figures());
        } else if (event instanceof TrainingEvent.BatchEnd e) {
            out.writeByte(BATCH_END);
            out.writeInt(e.epoch());
            out.writeInt(e.epochs());
            out.writeLong(e.batch());
            out.writeLong(e.batches());
            out.writeLong(e.step());
            out.writeDouble(e.loss());
            out.writeDouble(e.meanLoss());
            out.writeDouble(e.millis());
            out.writeDouble(e.lr());
            out.writeDouble(e.gradNorm());
            out.writeDouble(e.lossScale());
            out.writeLong(e.skippedSteps());
        } else if (event instanceof TrainingEvent.EpochEnd e) {
            out.writeByte(EPOCH_END);
            out.writeInt(e.epoch());
            out.writeInt(e.epochs());
            out.writeLong(e.step());
            out.writeLong(e.batches());
            out.writeDouble(e.meanLoss());
            out.writeDouble(e.millis());
            out.writeDouble(e.validationAccuracy());
        } else if (event instanceof TrainingEvent.Validated e) {
            out.writeByte(VALIDATED);
            out.writeInt(e.epoch());
            out.writeLong(e.step());
            writeFigures(out, e.metrics());
        } else if (event instanceof TrainingEvent.Checkpointed e) {
            out.writeByte(CHECKPOINTED);
            out.writeInt(e.epoch());
            out.writeLong(e.batch());
            out.writeLong(e.step());
            writeText(out, e.file().toString());
        } else if (event instanceof TrainingEvent.Logged e) {
            out.writeByte(LOGGED);
            writeRow(out, e.row());
        } else if (event instanceof TrainingEvent.Stopped e) {
            out.writeByte(STOPPED);
            out.writeInt(e.epoch());
            out.writeLong(e.step());
            writeText(out, e.reason());
        } else if (event instanceof TrainingEvent.Failed e) {
            out.writeByte(FAILED);
            writeText(out, String.valueOf(e.cause()));
        } else {
            throw new IllegalArgumentException("no wire form for " + event.getClass().getName());
        }
    }

    static void write(DataOutputStream out, TrainingResult result) throws IOException {
        out.writeByte(RESULT);
        out.writeInt(result.epochs());
        out.writeLong(result.steps());
        out.writeDouble(result.meanLoss());
        out.writeDouble(result.validationAccuracy());
        out.writeBoolean(result.stopReason() != null);
        if (result.stopReason() != null) {
            writeText(out, result.stopReason());
        }
        writeFigures(out, result.metrics());
        List<History.Row> rows = new ArrayList<>(result.history().steps());
        rows.addAll(result.history().epochs());
        out.writeInt(rows.size());
        for (History.Row row : rows) {
            writeRow(out, row);
        }
    }

    /** The next event or result; an {@link IOException} for anything malformed. */
    static Object read(DataInputStream in) throws IOException {
        int tag = in.readUnsignedByte();
        switch (tag) {
            case STARTED:
                return new TrainingEvent.Started(in.readInt(), readTexts(in));
            case BATCH_END:
                return new TrainingEvent.BatchEnd(in.readInt(), in.readInt(), in.readLong(), in.readLong(), in.readLong(),
                        in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble(),
                        in.readDouble(), in.readLong());
            case EPOCH_END:
                return new TrainingEvent.EpochEnd(in.readInt(), in.readInt(), in.readLong(), in.readLong(),
                        in.readDouble(), in.readDouble(), in.readDouble());
            case VALIDATED:
                return new TrainingEvent.Validated(in.readInt(), in.readLong(), readFigures(in));
            case CHECKPOINTED:
                return new TrainingEvent.Checkpointed(in.readInt(), in.readLong(), in.readLong(), Path.of(in.readUTF()));
            case LOGGED:
                return new TrainingEvent.Logged(readRow(in));
            case STOPPED:
                return new TrainingEvent.Stopped(in.readInt(), in.readLong(), in.readUTF());
            case FAILED:
                return new TrainingEvent.Failed(new ReplicaFailure(in.readUTF()));
            case RESULT:
                int epochs = in.readInt();
                long steps = in.readLong();
                double meanLoss = in.readDouble();
                double accuracy = in.readDouble();
                String stop = in.readBoolean() ? in.readUTF() : null;
                Map<String, Double> metrics = readFigures(in);
                History history = new History();
                int rows = count(in, MAX_ROWS);
                for (int i = 0; i < rows; i++) {
                    history.add(readRow(in));
                }
                return new TrainingResult(epochs, steps, meanLoss, accuracy, stop, metrics, history);
            default:
                throw new IOException("unknown message tag " + tag + " from rank 0");
        }
    }

    /** What the driver knows of a replica's failure: its description, sent as text. */
    static final class ReplicaFailure extends RuntimeException {
        ReplicaFailure(String description) {
            super(description);
        }
    }

    private static void writeRow(DataOutputStream out, History.Row row) throws IOException {
        out.writeByte(row.kind().ordinal());
        out.writeInt(row.epoch());
        out.writeLong(row.step());
        writeFigures(out, row.values());
    }

    private static History.Row readRow(DataInputStream in) throws IOException {
        int kind = in.readUnsignedByte();
        if (kind >= History.Kind.values().length) {
            throw new IOException("unknown row kind " + kind + " from rank 0");
        }
        return new History.Row(History.Kind.values()[kind], in.readInt(), in.readLong(), readFigures(in));
    }

    private static void writeFigures(DataOutputStream out, Map<String, Double> figures) throws IOException {
        out.writeInt(figures.size());
        for (Map.Entry<String, Double> figure : figures.entrySet()) {
            writeText(out, figure.getKey());
            out.writeDouble(figure.getValue());
        }
    }

    private static Map<String, Double> readFigures(DataInputStream in) throws IOException {
        int n = count(in);
        Map<String, Double> figures = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            figures.put(in.readUTF(), in.readDouble());
        }
        return figures;
    }

    private static void writeTexts(DataOutputStream out, List<String> texts) throws IOException {
        out.writeInt(texts.size());
        for (String text : texts) {
            writeText(out, text);
        }
    }

    private static List<String> readTexts(DataInputStream in) throws IOException {
        int n = count(in);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            texts.add(in.readUTF());
        }
        return texts;
    }

    /** Text cut to what writeUTF takes (a failure's description can be long). */
    private static void writeText(DataOutputStream out, String text) throws IOException {
        out.writeUTF(text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) + "..." : text);
    }

    private static int count(DataInputStream in) throws IOException {
        return count(in, MAX_ENTRIES);
    }

    private static int count(DataInputStream in, int most) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > most) {
            throw new IOException("rank 0 declared " + n + " entries; at most " + most + " are read");
        }
        return n;
    }
}
