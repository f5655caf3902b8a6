package dev.anneal.state;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anneal.optim.OptimizerState;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * A {@link Checkpoint} on disk: raw tensors plus a JSON header, nothing that runs code on load.
 *
 * <pre>
 * "ANNEALC1" | tensor bytes ... | header (UTF-8 JSON) | header offset (int64, little-endian) | "ANNEALC1"
 * </pre>
 *
 * The header lists every tensor by name with its type, shape, offset, length and CRC-32, so a
 * truncated or corrupted file is refused rather than loaded. Tensors are streamed one at a time,
 * so writing needs no more memory than the largest tensor. A write goes to a temporary file in
 * the same directory, is forced to disk and renamed over the target: a crash leaves the previous
 * checkpoint or the new one, never half of one.
 */
public final class CheckpointFile {
    private static final byte[] MAGIC = "ANNEALC1".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;

    private CheckpointFile() {
    }

    /** Writes {@code checkpoint} to {@code file} atomically, replacing any file there. */
    public static void write(Path file, Checkpoint checkpoint) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // Not Files.createTempFile: its owner-only permissions would stay on the checkpoint.
        Path temp = dir.resolve("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeAll(out, ByteBuffer.wrap(MAGIC));
                JsonObject header = new JsonObject();
                header.addProperty("format", "anneal-checkpoint");
                header.addProperty("version", VERSION);
                header.addProperty("byteOrder", ByteOrder.nativeOrder().toString());
                header.addProperty("epoch", checkpoint.epoch());
                header.addProperty("batch", checkpoint.batch());
                header.add("parameters", writeTensors(out, checkpoint.parameters()));
                JsonObject optimizers = new JsonObject();
                for (Map.Entry<String, OptimizerState> e : checkpoint.optimizers().entrySet()) {
                    OptimizerState state = e.getValue();
                    JsonObject o = new JsonObject();
                    o.addProperty("rule", state.optimizer());
                    o.addProperty("step", state.step());
                    JsonObject updates = new JsonObject();
                    state.updates().forEach(updates::addProperty);
                    o.add("updates", updates);
                    o.add("tensors", writeTensors(out, state.tensors()));
                    optimizers.add(e.getKey(), o);
                }
                header.add("optimizers", optimizers);
                JsonObject plateaus = new JsonObject();
                checkpoint.plateaus().forEach((key, state) -> {
                    JsonObject p = new JsonObject();
                    // Doubles as strings: JSON has no infinity, and a plateau's "best" starts there.
                    state.forEach((k, v) -> p.addProperty(k, Double.toString(v)));
                    plateaus.add(key, p);
                });
                header.add("plateaus", plateaus);
                long headerOffset = out.position();
                writeAll(out, ByteBuffer.wrap(header.toString().getBytes(StandardCharsets.UTF_8)));
                writeAll(out, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, headerOffset));
                writeAll(out, ByteBuffer.wrap(MAGIC));
                out.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        forceDirectory(dir);
    }

    /** Reads a checkpoint, its tensors created in {@code manager} (on the manager's device). */
    public static Checkpoint read(Path file, NDManager manager) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            if (size < 2L * MAGIC.length + 8 || !magicAt(in, 0) || !magicAt(in, size - MAGIC.length)) {
                throw corrupt(file, "it does not start and end with " + new String(MAGIC, StandardCharsets.US_ASCII)
                        + " (not a checkpoint, or cut short)");
            }
            ByteBuffer offsetBytes = readAt(in, size - MAGIC.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN);
            long headerOffset = offsetBytes.getLong(0);
            long headerEnd = size - MAGIC.length - 8;
            if (headerOffset < MAGIC.length || headerOffset >= headerEnd || headerEnd - headerOffset > Integer.MAX_VALUE) {
                throw corrupt(file, "its header offset " + headerOffset + " lies outside the file");
            }
            JsonObject header;
            try {
                ByteBuffer bytes = readAt(in, headerOffset, (int) (headerEnd - headerOffset));
                header = JsonParser.parseString(StandardCharsets.UTF_8.decode(bytes).toString()).getAsJsonObject();
            } catch (RuntimeException e) {
                throw corrupt(file, "its header is not readable JSON: " + e.getMessage());
            }
            try {
                return parse(file, in, header, headerOffset, manager);
            } catch (RuntimeException e) {
                throw corrupt(file, "its header is malformed: " + e);
            }
        }
    }

    private static Checkpoint parse(Path file, FileChannel in, JsonObject header, long dataEnd, NDManager manager)
            throws IOException {
        int version = header.get("version").getAsInt();
        if (!"anneal-checkpoint".equals(header.get("format").getAsString()) || version != VERSION) {
            throw corrupt(file, "it is format " + header.get("format") + " version " + version
                    + "; this Anneal reads anneal-checkpoint version " + VERSION);
        }
        String order = header.get("byteOrder").getAsString();
        if (!order.equals(ByteOrder.nativeOrder().toString())) {
            throw corrupt(file, "it was written on a " + order + " machine; this one is " + ByteOrder.nativeOrder());
        }
        List<NDArray> created = new ArrayList<>();
        try {
            Map<String, NDArray> parameters = readTensors(file, in, header.getAsJsonArray("parameters"), dataEnd,
                    manager, created);
            Map<String, OptimizerState> optimizers = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : header.getAsJsonObject("optimizers").entrySet()) {
                JsonObject o = e.getValue().getAsJsonObject();
                Map<String, Long> updates = new LinkedHashMap<>();
                o.getAsJsonObject("updates").entrySet().forEach(u -> updates.put(u.getKey(), u.getValue().getAsLong()));
                optimizers.put(e.getKey(), new OptimizerState(o.get("rule").getAsString(), o.get("step").getAsLong(),
                        updates, readTensors(file, in, o.getAsJsonArray("tensors"), dataEnd, manager, created)));
            }
            Map<String, Map<String, Double>> plateaus = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : header.getAsJsonObject("plateaus").entrySet()) {
                Map<String, Double> state = new LinkedHashMap<>();
                e.getValue().getAsJsonObject().entrySet()
                        .forEach(s -> state.put(s.getKey(), Double.parseDouble(s.getValue().getAsString())));
                plateaus.put(e.getKey(), state);
            }
            return new Checkpoint(header.get("epoch").getAsInt(), header.get("batch").getAsLong(), parameters,
                    optimizers, plateaus);
        } catch (IOException | RuntimeException e) {
            created.forEach(NDArray::close);
            throw e;
        }
    }

    private static JsonArray writeTensors(FileChannel out, Map<String, NDArray> tensors) throws IOException {
        JsonArray entries = new JsonArray();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray array = e.getValue();
            ByteBuffer bytes = array.toByteBuffer();
            CRC32 crc = new CRC32();
            crc.update(bytes.duplicate());
            JsonObject entry = new JsonObject();
            entry.addProperty("name", e.getKey());
            entry.addProperty("dtype", array.getDataType().name());
            JsonArray shape = new JsonArray();
            for (long d : array.getShape().getShape()) {
                shape.add(d);
            }
            entry.add("shape", shape);
            entry.addProperty("offset", out.position());
            entry.addProperty("length", bytes.remaining());
            entry.addProperty("crc32", crc.getValue());
            writeAll(out, bytes);
            entries.add(entry);
        }
        return entries;
    }

    private static Map<String, NDArray> readTensors(Path file, FileChannel in, JsonArray entries, long dataEnd,
                                                    NDManager manager, List<NDArray> created) throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (JsonElement element : entries) {
            JsonObject entry = element.getAsJsonObject();
            String name = entry.get("name").getAsString();
            DataType type = DataType.valueOf(entry.get("dtype").getAsString());
            JsonArray dims = entry.getAsJsonArray("shape");
            long[] shape = new long[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = dims.get(i).getAsLong();
            }
            long offset = entry.get("offset").getAsLong();
            long length = entry.get("length").getAsLong();
            long expected = new Shape(shape).size() * type.getNumOfBytes();
            if (length != expected || offset < MAGIC.length || length > dataEnd - offset || length > Integer.MAX_VALUE) {
                throw corrupt(file, "tensor " + name + " (" + type + " " + new Shape(shape) + ") claims " + length
                        + " bytes at offset " + offset + "; expected " + expected + " bytes before offset " + dataEnd);
            }
            ByteBuffer bytes = ByteBuffer.allocateDirect((int) length).order(ByteOrder.nativeOrder());
            readFully(in, bytes, offset);
            bytes.flip();
            CRC32 crc = new CRC32();
            crc.update(bytes.duplicate());
            if (crc.getValue() != entry.get("crc32").getAsLong()) {
                throw corrupt(file, "tensor " + name + " fails its CRC-32 check (the file is damaged)");
            }
            NDArray array = manager.create(bytes, new Shape(shape), type);
            created.add(array);
            if (tensors.put(name, array) != null) {
                throw corrupt(file, "tensor " + name + " appears twice");
            }
        }
        return tensors;
    }

    private static boolean magicAt(FileChannel in, long position) throws IOException {
        return readAt(in, position, MAGIC.length).equals(ByteBuffer.wrap(MAGIC));
    }

    private static ByteBuffer readAt(FileChannel in, long position, int length) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(length);
        readFully(in, bytes, position);
        return bytes.flip();
    }

    private static void readFully(FileChannel in, ByteBuffer into, long position) throws IOException {
        while (into.hasRemaining()) {
            if (in.read(into, position + into.position()) < 0) {
                throw new IOException("unexpected end of file at " + (position + into.position()));
            }
        }
    }

    private static void writeAll(FileChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }

    /** Makes the rename itself durable; some systems cannot open a directory, and then it is skipped. */
    private static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // The file itself is on disk; only the directory entry's durability is left to the system.
        }
    }

    private static IOException corrupt(Path file, String why) {
        return new IOException("cannot read checkpoint " + file + ": " + why);
    }
}
